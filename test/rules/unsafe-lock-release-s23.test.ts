// Session 23's held-out check (issue #15): a lock row found free or lapsed and taken by an UPDATE that pins the
// version read with it and increments it (`where: { id, revision }`, `revision: { increment: 1 }`) is an acquisition
// by compare-and-set, not a refresh by key alone: a concurrent taker bumps the version first and this UPDATE changes
// nothing (briefer's lock table). The same UPDATE pinning only the id still extends whoever holds the row.
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const leases = (where: string) => `import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();
export async function claimLease(resource: string, holder: string, ttlMs: number): Promise<boolean> {
  const row = await prisma.lease.findFirst({ where: { resource } });
  try {
    if (!row) {
      await prisma.lease.create({ data: { resource, holder, expiresAt: new Date(Date.now() + ttlMs) } });
    } else if (row.expiresAt < new Date()) {
      await prisma.lease.update({
        where: ${where},
        data: { holder, expiresAt: new Date(Date.now() + ttlMs), revision: { increment: 1 } },
      });
    } else {
      return false;
    }
    return true;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && (error.code === "P2002" || error.code === "P2025")) return false;
    throw error;
  }
}
export async function dropLease(resource: string, holder: string) {
  await prisma.lease.deleteMany({ where: { resource, holder } });
}
`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a lapsed lease taken by an UPDATE pinning and incrementing the revision read with it",
      code: leases("{ id: row.id, revision: row.revision }"),
    },
  ],
  invalid: [
    {
      name: "the same UPDATE by the id alone extends whoever holds the row",
      code: leases("{ id: row.id }"),
      errors: [{ line: 9, column: 13, messageId: "ownerlessRefresh" }],
    },
  ],
});
