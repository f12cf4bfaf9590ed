// FALSE shape (select-then-update), session 16 held-out check, mirlo src/routers/auth/confirmEmailToken.ts:79 and
// src/routers/auth/login.ts:39.
// Rule that would make it silent: an update whose new values are all constants (NULL, 0) and none from the row, where
// the check only decides whether the row still needs them (a token to clear, a counter to reset): every concurrent
// caller writes the same values, so nothing is lost.
import { PrismaClient } from "@prisma/client";

const db = new PrismaClient();

export async function verifyAddress(accountId: number, code: string) {
  const account = await db.account.findFirst({ where: { id: accountId, verifyCode: code } });
  if (!account) throw new Error("unknown code");
  if (account.verifyCodeExpiresAt && account.verifyCodeExpiresAt < new Date()) throw new Error("expired");
  await db.account.update({ where: { id: account.id }, data: { verifyCode: null, verifyCodeExpiresAt: null } });
  return account.id;
}

export async function signIn(login: string, passwordOk: (hash: string) => Promise<boolean>) {
  const account = await db.account.findFirst({ where: { login } });
  if (!account || !(await passwordOk(account.hash))) throw new Error("denied");
  if (account.strikes > 0 || account.blockedUntil) {
    await db.account.update({ where: { id: account.id }, data: { strikes: 0, blockedUntil: null } });
  }
  return account.id;
}
