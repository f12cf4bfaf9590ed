import type { Knex } from "knex";
interface Lock {
  release(): Promise<void>;
}
interface LockService {
  acquire(resource: string, ttlMs: number): Promise<Lock | undefined>;
}
// Without Redis the server falls back to a local lock service whose `acquire` grants every request: the broadcast
// sender runs every second, a slow batch is still sending when the next tick starts, both "hold" the lock, and the
// scheduled messages not yet marked sent go out twice.
export class LocalLockService implements LockService {
  async acquire(_resource: string, _ttlMs: number): Promise<Lock | undefined> {
    return { release: async () => undefined };
  }
}
// Correct: the local service remembers what it has handed out until it is released or its time runs out.
export class LocalExpiringLockService implements LockService {
  private readonly heldUntil = new Map<string, number>();
  async acquire(resource: string, ttlMs: number): Promise<Lock | undefined> {
    const now = Date.now();
    const until = this.heldUntil.get(resource);
    if (until !== undefined && until > now) return undefined;
    this.heldUntil.set(resource, now + ttlMs);
    return { release: async () => void this.heldUntil.delete(resource) };
  }
}
export class BroadcastSender {
  constructor(
    private readonly knex: Knex,
    private readonly locks: LockService,
    private readonly send: (broadcast: { id: number; message: string }) => Promise<void>,
  ) {}
  start() {
    setInterval(() => void this.sendDue(), 1000);
  }
  async sendDue() {
    const lock = await this.locks.acquire("broadcasts:send", 60_000);
    if (!lock) return;
    try {
      const due = await this.knex("broadcasts").where({ sent: false }).andWhere("send_at", "<=", new Date());
      for (const broadcast of due) {
        await this.send(broadcast);
        await this.knex("broadcasts").where({ id: broadcast.id }).update({ sent: true });
      }
    } finally {
      await lock.release();
    }
  }
}
