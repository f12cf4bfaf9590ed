// FALSE shape (select-then-update), session 16 held-out check, evolution-api
// src/api/integrations/channel/whatsapp/whatsapp.baileys.service.ts:3619.
// Rule that would make it silent: a JSON column copied from the read with one flag added (`{ ...row.ref, hidden: true }`)
// where the column holds only the record's immutable identity (its external id, conversation, sender) loses nothing:
// no other writer changes those fields, and the flag and the status written are constants.
import { PrismaClient } from "@prisma/client";

const db = new PrismaClient();

export async function retractPost(externalId: string) {
  const post = await db.post.findFirst({ where: { ref: { path: ["externalId"], equals: externalId } } });
  if (!post) return null;
  const ref = typeof post.ref === "object" && post.ref !== null ? post.ref : {};
  return db.post.update({ where: { id: post.id }, data: { ref: { ...ref, hidden: true }, state: "RETRACTED" } });
}
