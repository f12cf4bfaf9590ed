import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();
declare function normalizeTraits(traits: Record<string, unknown>, accountId: string): Promise<Record<string, unknown>>;
declare function dropNulls(traits: Record<string, unknown>): Record<string, unknown>;
export async function identifyMember(
  tx: Prisma.TransactionClient,
  externalId: string,
  workspaceId: string,
  traits: Record<string, unknown>,
) {
  const workspace = await tx.workspace.findFirst({ where: { id: workspaceId } });
  if (!workspace) return null;
  const incoming = await normalizeTraits(traits, workspace.accountId);
  const member = await tx.member.findFirst({ where: { externalId, workspaceId } });
  if (!member) return tx.member.create({ data: { externalId, workspaceId, data: incoming as Prisma.InputJsonValue } });
  const merged = dropNulls({ ...((member.data as Record<string, unknown>) || {}), ...incoming });
  return tx.member.update({ where: { id: member.id }, data: { data: merged as Prisma.InputJsonValue } });
}
export function identify(externalId: string, workspaceId: string, traits: Record<string, unknown>) {
  return prisma.$transaction((tx) => identifyMember(tx, externalId, workspaceId, traits));
}
// Correct twin: the row is locked before the merge, so a second identify waits and merges into the first's keys.
export async function identifyMemberLocked(
  tx: Prisma.TransactionClient,
  externalId: string,
  workspaceId: string,
  traits: Record<string, unknown>,
) {
  const rows = await tx.$queryRaw<Array<{ id: string; data: Record<string, unknown> | null }>>`
    SELECT id, data FROM "Member" WHERE "externalId" = ${externalId} AND "workspaceId" = ${workspaceId} FOR UPDATE`;
  const member = rows[0];
  if (!member) return null;
  const merged = dropNulls({ ...(member.data ?? {}), ...traits });
  return tx.member.update({ where: { id: member.id }, data: { data: merged as Prisma.InputJsonValue } });
}
