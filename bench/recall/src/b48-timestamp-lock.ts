import Redis from "ioredis";
const client = new Redis();
export async function acquire(name: string, timeout: number): Promise<() => Promise<void>> {
  const lockKey = `lock.${name}`;
  for (;;) {
    const expiresAt = Date.now() + timeout + 1;
    const ok = await client.set(lockKey, String(expiresAt), "PX", timeout, "NX");
    if (ok === "OK") {
      return async () => {
        await client.del(lockKey);
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
