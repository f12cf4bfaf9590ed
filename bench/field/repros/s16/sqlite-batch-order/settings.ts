// FALSE shape (inconsistent-lock-order), session 16 held-out check, palmr apps/server/src/modules/app/service.ts:124.
// Rule that would make it silent: when the only datasource of the Prisma schema is SQLite, a write transaction holds
// the database-wide write lock (there are no row locks), so the order in which it updates rows cannot deadlock.
import { PrismaClient } from "@prisma/client";

const db = new PrismaClient();

export async function saveSettings(changes: { name: string; value: string }[]) {
  const known = await db.setting.findMany({ where: { name: { in: changes.map((c) => c.name) } } });
  if (known.length !== changes.length) throw new Error("unknown setting");
  return db.$transaction(changes.map((c) => db.setting.update({ where: { name: c.name }, data: { value: c.value } })));
}
