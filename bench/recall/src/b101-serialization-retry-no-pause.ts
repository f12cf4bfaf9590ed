import { Prisma, PrismaClient } from "@prisma/client";
const ATTEMPTS = 4;
function isWriteConflict(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2034";
}
// A serialization conflict is retried at once: two transactions that lost to each other restart together and
// conflict again, until the attempts are spent and the raw conflict reaches the caller.
export async function serializableRetry<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable });
    } catch (err) {
      if (!isWriteConflict(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}
// Correct: a random wait from a window that doubles each round pulls the pair apart.
export async function serializableRetryJittered<T>(prisma: PrismaClient, work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable });
    } catch (err) {
      if (!isWriteConflict(err) || attempt >= ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}
