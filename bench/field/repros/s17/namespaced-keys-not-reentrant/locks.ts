import Redis from "ioredis";
import { Mutex } from "redis-semaphore";

const redis = new Redis();

/** One Redis mutex per namespace and key: the key is `${namespace}-${key}`. */
export async function acquire(options: { key: string; namespace: string }): Promise<Mutex> {
  const mutex = new Mutex(redis, `${options.namespace}-${options.key}`, { lockTimeout: 10000 });
  await mutex.acquire();
  return mutex;
}

export async function release(mutex: Mutex): Promise<void> {
  await mutex.release();
}
