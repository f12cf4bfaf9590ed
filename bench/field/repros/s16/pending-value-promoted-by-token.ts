// FALSE shape (select-then-update), session 16 held-out check, mirlo
// src/routers/v1/users/{userId}/confirmEmailChange.ts:66.
// Rule that would make it silent: consuming a one-time token that was read in the same row as the value it confirms
// (the pending e-mail moved into the e-mail column, the token and pending fields set to NULL): every concurrent holder
// of that token writes the same values, so nothing is lost.
import { PrismaClient } from "@prisma/client";

const db = new PrismaClient();

export async function confirmNewAddress(memberId: number, code: string) {
  const member = await db.member.findUnique({
    where: { id: memberId },
    select: { id: true, nextAddress: true, nextAddressCode: true, nextAddressExpiresAt: true },
  });
  if (!member || !member.nextAddress || member.nextAddressCode !== code) throw new Error("nothing to confirm");
  if (!member.nextAddressExpiresAt || member.nextAddressExpiresAt < new Date()) throw new Error("expired");
  return db.member.update({
    where: { id: member.id },
    data: { address: member.nextAddress, nextAddress: null, nextAddressCode: null, nextAddressExpiresAt: null },
  });
}
