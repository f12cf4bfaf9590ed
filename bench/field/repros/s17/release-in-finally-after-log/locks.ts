import Redis from "ioredis";
import { Mutex } from "redis-semaphore";

const client = new Redis();

export default class Locks {
  public static async lock(data: { key: string; namespace: string; lockTimeout?: number }): Promise<Mutex> {
    const mutex = new Mutex(client, data.namespace + "-" + data.key, { lockTimeout: data.lockTimeout ?? 5000 });
    await mutex.acquire();
    return mutex;
  }

  public static async release(mutex: Mutex): Promise<void> {
    await mutex.release();
  }
}
