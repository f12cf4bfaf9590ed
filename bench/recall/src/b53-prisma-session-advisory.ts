import type { PrismaClient } from "@prisma/client";
function lockKey(name: string): bigint {
  let h = 0n;
  for (const ch of name) h = (h * 31n + BigInt(ch.charCodeAt(0))) & 0x7fffffffffffffffn;
  return h;
}
export class PrismaAggregateLocker {
  constructor(private readonly prisma: PrismaClient) {}
  async acquire(aggregate: string): Promise<void> {
    await this.prisma.$queryRaw`SELECT pg_advisory_lock(${lockKey(aggregate)})`;
  }
  async release(aggregate: string): Promise<void> {
    await this.prisma.$queryRaw`SELECT pg_advisory_unlock(${lockKey(aggregate)})`;
  }
}
export async function withAggregateLock<T>(locker: PrismaAggregateLocker, aggregate: string, work: () => Promise<T>) {
  await locker.acquire(aggregate);
  try {
    return await work();
  } finally {
    await locker.release(aggregate);
  }
}
