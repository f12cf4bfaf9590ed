// A promise-chain mutex guards the OAuth token store. Its runExclusive races the callback against a timeout and
// releases in `finally`: when the callback outlives the timeout, the lock is released while the callback still runs,
// so the next waiter refreshes the same account's token concurrently and one of the two stored tokens is already
// revoked.
export class TimedMutex {
  private tail: Promise<void> = Promise.resolve();
  async runExclusive<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        fn(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`lock held over ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      release();
    }
  }
}
declare function refreshAccessToken(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }>;
declare const tokenStore: {
  get(account: string): Promise<{ refreshToken: string }>;
  put(account: string, tokens: { accessToken: string; refreshToken: string }): Promise<void>;
};
const tokenMutex = new TimedMutex();
export async function refreshAccount(account: string) {
  return tokenMutex.runExclusive(async () => {
    const stored = await tokenStore.get(account);
    const fresh = await refreshAccessToken(stored.refreshToken);
    await tokenStore.put(account, fresh);
    return fresh.accessToken;
  }, 5_000);
}
