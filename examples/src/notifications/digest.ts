// Sending notification digests. Each user's pending notifications are drained under an in-process mutex (one
// drain per user at a time). `drainHoldingLock` sends the email inside the critical section, so every other drain
// (and every `enqueue`) waits for the mail provider; `drain` splits the section: take the batch under the lock,
// send without it, then re-acquire and re-validate before marking it sent.
import { LockManager } from "@locksmith/runtime";

interface Notification {
  id: string;
  text: string;
}

declare const store: {
  pending(userId: string): Promise<Notification[]>;
  add(userId: string, text: string): Promise<void>;
  markSent(userId: string, ids: string[]): Promise<void>;
  isPending(userId: string, id: string): Promise<boolean>;
};

const locks = new LockManager();

/** Delivers a digest email through the mail provider's HTTP API. */
async function deliver(userId: string, batch: Notification[]): Promise<void> {
  await fetch("https://mail.example/send", { method: "POST", body: JSON.stringify({ to: userId, lines: batch.map((n) => n.text) }) });
}

export async function enqueue(userId: string, text: string): Promise<void> {
  await locks.lock(userId, () => store.add(userId, text));
}

/** ❌ `deliver` calls `fetch` while the user's lock is held. */
export async function drainHoldingLock(userId: string): Promise<void> {
  await locks.lock(userId, async () => {
    const batch = await store.pending(userId);
    if (batch.length === 0) return;
    await deliver(userId, batch);
    await store.markSent(userId, batch.map((n) => n.id));
  });
}

/** ✅ Read under the lock, send without it, re-acquire and mark only what is still pending. */
export async function drain(userId: string): Promise<void> {
  const batch = await locks.lock(userId, () => store.pending(userId));
  if (batch.length === 0) return;
  await deliver(userId, batch);
  await locks.lock(userId, async () => {
    const stillPending: string[] = [];
    for (const n of batch) if (await store.isPending(userId, n.id)) stillPending.push(n.id);
    await store.markSent(userId, stillPending);
  });
}
