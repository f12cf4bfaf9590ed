import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// Workers claiming tasks take a directory lock: mkdir succeeds for one of them and fails with EEXIST for the others,
// which sleep a fixed 25 ms and try again. With a dozen workers contending, all of them wake on the same tick, all but
// one fail again and all sleep the same 25 ms: the lock is polled in lockstep with no backoff and no jitter.
export async function withTaskClaimLock<T>(teamDir: string, run: () => Promise<T>): Promise<T> {
  const lockDir = join(teamDir, ".claim.lock");
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) throw new Error("timed out waiting for the claim lock");
      await sleep(25);
    }
  }
  try {
    return await run();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
// Correct: each failed attempt doubles the wait, capped, and adds random jitter so waiters spread out.
export async function withTaskClaimLockBackoff<T>(teamDir: string, run: () => Promise<T>): Promise<T> {
  const lockDir = join(teamDir, ".claim.lock");
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) throw new Error("timed out waiting for the claim lock");
      await sleep(Math.min(1000, 25 * 2 ** attempt) + Math.random() * 25);
    }
  }
  try {
    return await run();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
