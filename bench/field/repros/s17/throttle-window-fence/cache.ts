import Redis from "ioredis";

const redis = new Redis();

export default class Cache {
  /** SET NX EX: true only for the caller that opened the window. */
  public static async setIfAbsent(namespace: string, key: string, seconds: number): Promise<boolean> {
    const result = await redis.set(`${namespace}-${key}`, "1", "EX", seconds, "NX");
    return result === "OK";
  }

  public static async remove(namespace: string, key: string): Promise<void> {
    await redis.del(`${namespace}-${key}`);
  }
}
