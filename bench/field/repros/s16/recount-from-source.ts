// FALSE shape (select-then-update), session 16 held-out check, evolution-api
// src/api/integrations/channel/whatsapp/whatsapp.baileys.service.ts:4607.
// Rule that would make it silent: a counter column set to a COUNT(*) the same call takes of the rows it summarises is
// recomputed from its source, not from the row read (which gives only the id and an equality test that skips a no-op
// write); every later recount rewrites it, so no increment can be lost.
import { PrismaClient } from "@prisma/client";

const db = new PrismaClient();

export async function refreshPendingCount(threadKey: string) {
  const [thread, pending] = await Promise.all([
    db.thread.findFirst({ where: { threadKey } }),
    db.$queryRaw<{ n: number }[]>`SELECT COUNT(*)::int AS n FROM "Note" WHERE "threadKey" = ${threadKey} AND "seen" = false`.then(
      (rows) => rows[0]?.n ?? 0,
    ),
  ]);
  if (thread && thread.pendingCount !== pending) {
    await db.thread.update({ where: { id: thread.id }, data: { pendingCount: pending } });
  }
  return pending;
}
