import { PrismaClient } from "@prisma/client";
const SIGNER_LOCK = 884_211;
export class SignerNonceLock {
  constructor(private readonly prisma: PrismaClient) {}
  // pg_advisory_lock is held by one pooled session; the unlock may run on another session of the pool.
  async withNonce<T>(chainId: number, work: (nonce: bigint) => Promise<T>): Promise<T> {
    await this.prisma.$executeRaw`SELECT pg_advisory_lock(${SIGNER_LOCK})`;
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.signerNonce.findUnique({ where: { chainId } });
        const nonce = row?.next ?? 0n;
        const result = await work(nonce);
        await tx.signerNonce.upsert({ where: { chainId }, create: { chainId, next: nonce + 1n }, update: { next: nonce + 1n } });
        return result;
      });
    } finally {
      await this.prisma.$executeRaw`SELECT pg_advisory_unlock(${SIGNER_LOCK})`;
    }
  }
}
