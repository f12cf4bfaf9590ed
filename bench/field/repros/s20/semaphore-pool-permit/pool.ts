import { Semaphore } from "async-mutex";

interface Key {
  address: string;
}

// A pool of keys guarded by a counting semaphore: a permit leaves with each key handed out and comes back
// with it in restore(); lease() gives the permit back itself only when it cannot hand a key out.
export function createKeyRing(keys: Key[]) {
  const idle = [...keys];
  const slots = new Semaphore(idle.length);
  return {
    async lease(): Promise<Key> {
      await slots.acquire();
      const key = idle.shift();
      if (!key) {
        slots.release();
        throw new Error("no idle key");
      }
      return key;
    },
    async claim(wanted: Key): Promise<void> {
      await slots.acquire();
      const index = idle.findIndex((s) => s.address === wanted.address);
      if (index === -1) {
        slots.release();
        return;
      }
      idle.splice(index, 1);
    },
    restore(key: Key): void {
      if (!idle.some((s) => s.address === key.address)) {
        idle.push(key);
        slots.release();
      }
    },
  };
}
