import Redis from "ioredis";

export const redis = new Redis();

export const takeLock = async (name: string, seconds = 0) => {
  let reply;
  if (seconds) {
    reply = await redis.set(name, "lock", "EX", seconds, "NX");
  } else {
    reply = await redis.set(name, "lock", "NX");
  }
  return reply === "OK";
};

export const dropLock = async (name: string) => {
  await redis.del(name);
};
