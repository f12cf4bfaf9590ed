import Redis from "ioredis";

const redis = new Redis();

// A lock helper: the reply of either SET NX lands in one variable, and the helper returns whether it was "OK".
export const tryClaim = async (name: string, seconds = 0): Promise<boolean> => {
  let reply;
  if (seconds) {
    reply = await redis.set(name, "held", "EX", seconds, "NX");
  } else {
    reply = await redis.set(name, "held", "NX");
  }
  return reply === "OK";
};

export const dropClaim = async (name: string): Promise<void> => {
  await redis.del(name);
};
