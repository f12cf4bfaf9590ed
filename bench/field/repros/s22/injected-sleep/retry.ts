// A retry helper for deadlocks whose delay goes through an injectable sleep with a local default (tests pass a fake):
// `await (options.wait ?? pause)(ms)` still waits between attempts.
type RetryOptions = { attempts?: number; wait?: (ms: number) => Promise<void> };

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function isDeadlock(error: unknown): boolean {
  return (error as { code?: string })?.code === "ER_LOCK_DEADLOCK";
}

export async function withDeadlockRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDeadlock(error) || attempt >= attempts) throw error;
      await (options.wait ?? pause)(100 * 2 ** attempt);
    }
  }
}
