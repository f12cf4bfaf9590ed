// select-then-update on shapes of real bugs found in field applications. A flag read, then set, then work done on its
// account (credits granted, a row inserted) is a claim that lets every concurrent caller through: the write is not the
// harmless set-once or no-change write it is alone. Silent: the same flag with only reads, rows marked with fixed
// values or a remote call after it; a conditional update whose count decides the work; work done before the flag is
// set. On a row Prisma (or another entity ORM) returns, `data` is a column (a JSON column merged with new keys loses a
// concurrent caller's keys), not the wrapper Supabase or a project helper puts rows in.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const bonus = (after: string, check = "referral.bonusPaid") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function deleteObject(key: string): Promise<void>;
async function addCredits(userId: string, amount: number) {
  await prisma.creditGrant.create({ data: { userId, amount } });
}

export async function payReferralBonus(referrerId: string, referralId: string) {
  const referral = await prisma.referral.findFirst({ where: { referralId } });
  if (!referral || ${check}) return;
  await prisma.referral.update({ where: { pk: referral.pk }, data: { bonusPaid: true, updatedAt: new Date() } });
  ${after}
}`;

const BONUS_CHECK = {
  line: 11,
  column: 9,
  messageId: "checkThenWrite",
  data: { write: "`prisma.referral.update(…)`", column: "`bonusPaid`", line: 9 },
};

const traits = (read: string, merge = "compact({ ...current, ...incoming })") => `import { PrismaClient, Prisma } from "@prisma/client";
declare function resolveTraits(traits: Record<string, unknown>, accountId: string): Promise<Record<string, unknown>>;
declare function compact(traits: Record<string, unknown>): Record<string, unknown>;

export async function identify(tx: Prisma.TransactionClient, externalId: string, workspaceId: string, traits: Record<string, unknown>) {
  const workspace = await tx.workspace.findFirst({ where: { id: workspaceId } });
  if (!workspace) return null;
  const incoming = await resolveTraits(traits, workspace.accountId);
  ${read}
  if (!member) return tx.member.create({ data: { externalId, workspaceId, data: incoming as Prisma.InputJsonValue } });
  const current = (member.data as Record<string, unknown>) || {};
  const merged = ${merge};
  return tx.member.update({ where: { id: member.id }, data: { data: merged as Prisma.InputJsonValue } });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the flag alone: set once, nothing done on its account",
      code: bonus(""),
    },
    {
      name: "the flag, then a remote call (a file deleted): no database write is claimed",
      code: bonus("await deleteObject(`tmp/${referralId}`);"),
    },
    {
      name: "the flag, then rows marked with fixed values: marked twice, they end the same",
      code: bonus('await prisma.referralEvent.updateMany({ where: { referralId }, data: { state: "settled" } });'),
    },
    {
      name: "the flag, then only a read: nothing a second caller would regret",
      code: bonus("await prisma.user.findFirst({ where: { id: referrerId } });"),
    },
    {
      name: "the fix: the flag flipped only where unset, and only the caller that flipped it pays",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function addCredits(userId: string, amount: number): Promise<void>;

export async function payReferralBonus(referrerId: string, referralId: string) {
  const claimed = await prisma.referral.updateMany({ where: { referralId, bonusPaid: false }, data: { bonusPaid: true } });
  if (claimed.count === 0) return;
  await addCredits(referrerId, 500);
}`,
    },
    {
      name: "work before the flag is set (an object copied, then the row marked): repeating it may be harmless",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function copyObject(from: string, to: string): Promise<void>;

export async function persistExport(exportId: string) {
  const job = await prisma.exportJob.findUnique({ where: { exportId } });
  if (!job || job.persisted) return;
  await copyObject(\`tmp/\${exportId}\`, \`keep/\${exportId}\`);
  await prisma.exportJob.update({ where: { exportId }, data: { persisted: true } });
}`,
    },
    {
      name: "after the flag only counts and reads run: nothing is claimed (the count's minimum is write-skew's)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function revokeSecret(environmentId: string, id: string) {
  const secret = await prisma.signingSecret.findUnique({ where: { id } });
  if (!secret || secret.revokedAt) throw new Error("not found");
  await prisma.signingSecret.update({ where: { id }, data: { revokedAt: new Date() } });
  const active = await prisma.signingSecret.count({ where: { environmentId, revokedAt: null } });
  return { active };
}`,
    },
    {
      name: "the JSON merge under a row lock taken in the same transaction",
      code: traits(
        'const [member] = await tx.$queryRaw<Array<{ id: string; data: unknown }>>`SELECT id, data FROM "Member" WHERE "externalId" = ${externalId} AND "workspaceId" = ${workspaceId} FOR UPDATE`;',
      ),
    },
  ],
  invalid: [
    {
      name: "the flag set, then credits granted: two callers both see it unset and both pay",
      code: bonus("await addCredits(referrerId, 500);"),
      errors: [BONUS_CHECK],
    },
    {
      name: "the flag set, then a ledger row inserted on its account",
      code: bonus("await prisma.creditLedger.create({ data: { userId: referrerId, amount: 500 } });"),
      errors: [BONUS_CHECK],
    },
    {
      name: "Prisma's JSON column `data` merged with new keys from a read without a lock, beside a value of another read",
      code: traits("const member = await tx.member.findFirst({ where: { externalId, workspaceId } });"),
      errors: [
        {
          line: 13,
          column: 10,
          messageId: "lostUpdate",
          data: { write: "`tx.member.update(…)`", column: "`data`", line: 9 },
        },
      ],
    },
  ],
});
