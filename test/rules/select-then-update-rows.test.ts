// select-then-update: whether the write really changes the row read, and whether a check before it really decides
// anything a concurrent caller could invalidate. Shapes from real services (membership, account linking, settings).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

/** A pg transaction that runs `lock` first, then reads the last position of a list's items and inserts the next. */
const appendItem = (lock: string) => `import { PoolClient } from "pg";

export async function appendItem(client: PoolClient, listId: string, title: string) {
  await client.query("BEGIN");
  try {${lock}
    const { rows } = await client.query("SELECT max(position) AS last FROM items WHERE list_id = $1", [listId]);
    await client.query("INSERT INTO items (list_id, title, position) VALUES ($1, $2, $3)", [listId, title, (rows[0].last ?? 0) + 1]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Prisma: a lookup by a compound unique key finds nothing, then the same key is created (the index rejects a second insert)",
      code: `${PRISMA}
export async function addMember(organizationId: string, userId: string, role: string) {
  const existing = await prisma.membership.findUnique({
    where: { userId_organizationId: { userId, organizationId } },
  });
  if (existing) return existing;
  return prisma.membership.create({ data: { userId, organizationId, role } });
}`,
    },
    {
      name: "Prisma: a lookup by a unique field finds nothing, then that field is created",
      code: `${PRISMA}
export async function claimHandle(handle: string, ownerId: string) {
  const taken = await prisma.profile.findUnique({ where: { handle } });
  if (taken) throw new Error("handle taken");
  return prisma.profile.create({ data: { handle, ownerId } });
}`,
    },
    {
      name: "Prisma: an ownership check on the row a unique lookup found, else the row created with that key",
      code: `${PRISMA}
export async function link(tx: Prisma.TransactionClient, userId: string, provider: string, providerAccountId: string) {
  const account = await tx.account.findUnique({ where: { provider_providerAccountId: { provider, providerAccountId } } });
  if (account && account.userId !== userId) throw new Error("linked to another user");
  if (account) return account;
  return tx.account.create({ data: { userId, provider, providerAccountId } });
}`,
    },
    {
      name: "Prisma: the check only skips a write that would store what the row already holds",
      code: `${PRISMA}
export async function setRole(organizationId: string, userId: string, role: string, accepted: boolean) {
  const member = await prisma.membership.findUnique({
    where: { userId_organizationId: { userId, organizationId } },
  });
  if (!member) throw new Error("not a member");
  if (member.role === role) return member;
  return prisma.membership.update({
    where: { userId_organizationId: { userId, organizationId } },
    data: { role, accepted },
  });
}`,
    },
    {
      name: "Prisma: a revocation cleared only where it is set (without the check the row would end the same)",
      code: `${PRISMA}
export async function restoreToken(id: string) {
  const token = await prisma.accessToken.findUnique({ where: { id } });
  if (!token?.revokedAt) return token;
  return prisma.accessToken.update({ where: { id }, data: { revokedAt: null } });
}`,
    },
    {
      name: "Prisma: a state written only where it is not that state yet",
      code: `${PRISMA}
export async function markDone(id: string) {
  const job = await prisma.job.findUniqueOrThrow({ where: { id } });
  if (job.state !== "done") {
    await prisma.job.update({ where: { id }, data: { state: "done", finishedAt: new Date() } });
  }
}`,
    },
    {
      name: "Prisma: a file path built from the row's folder written to another column (nothing it computed from is written back)",
      code: `${PRISMA}
declare function store(path: string, data: Buffer): Promise<void>;
export async function saveScreenshot(id: number, image: Buffer) {
  const link = await prisma.link.findUnique({ where: { id } });
  if (!link) return;
  await store(\`archives/\${link.collectionId}/\${id}.png\`, image);
  await prisma.link.update({ where: { id }, data: { image: \`archives/\${link.collectionId}/\${id}.png\` } });
}`,
    },
    {
      name: "Prisma: a random username set where missing, and never used by the writer (whichever is stored is the only one seen)",
      code: `${PRISMA}
export async function ensureUsername(id: number) {
  const user = await prisma.user.findUnique({ where: { id } });
  if (user && !user.username) {
    const generated = "user" + Math.round(Math.random() * 1_000_000_000);
    await prisma.user.update({ where: { id }, data: { username: generated } });
  }
}`,
    },
    {
      name: "Prisma: last activity touched at most once a day (every caller writes the current time)",
      code: `${PRISMA}
declare function sameDay(a: Date, b: Date): boolean;
export async function touchWorkspace(workspaceId: string) {
  const workspace = await prisma.workspace.findFirst({ where: { id: workspaceId } });
  if (!workspace?.lastActivityAt || !sameDay(workspace.lastActivityAt, new Date())) {
    await prisma.workspace.updateMany({ where: { id: workspaceId }, data: { lastActivityAt: new Date() } });
  }
}`,
    },
    {
      name: "Prisma: a plain-text token found by its value and upgraded to its hash (every caller writes the same hash)",
      code: `${PRISMA}
declare function hashToken(token: string): string;
declare function isHashed(token: string): boolean;
export async function authenticate(apiToken: string) {
  const record = await prisma.apiToken.findFirst({ where: { token: apiToken }, include: { owner: true } });
  if (!record) return undefined;
  if (!isHashed(record.token)) {
    const hashed = hashToken(apiToken);
    await prisma.apiToken.update({ where: { id: record.id }, data: { token: hashed } });
  }
  return record.owner;
}`,
    },
    {
      name: "Prisma: a generated username in each of two branches, each used only by its own write",
      code: `${PRISMA}
export async function onAuth(id: number, signUp: boolean) {
  if (signUp) {
    const created = await prisma.user.findUnique({ where: { id } });
    if (created && !created.username) {
      const generated = "user" + Math.round(Math.random() * 1_000_000_000);
      await prisma.user.update({ where: { id }, data: { username: generated } });
    }
  } else {
    const user = await prisma.user.findUnique({ where: { id } });
    if (user && !user.username) {
      const generated = "user" + Math.round(Math.random() * 1_000_000_000);
      await prisma.user.update({ where: { id }, data: { username: generated } });
    }
  }
}`,
    },
    {
      name: "Prisma: each missing format marked unavailable where it is still unset (set once, column by column)",
      code: `${PRISMA}
export async function finishArchive(id: number) {
  const link = await prisma.link.findUnique({ where: { id } });
  if (link) {
    await prisma.link.update({
      where: { id },
      data: {
        preservedAt: new Date(),
        pdf: !link.pdf ? "unavailable" : undefined,
        image: !link.image ? "unavailable" : undefined,
      },
    });
  }
}`,
    },
    {
      name: "Prisma: an ownership check on one row, then a write of another row named by the caller",
      code: `${PRISMA}
export async function relink(tx: Prisma.TransactionClient, userId: string, provider: string, accountId: string, legacyId: string) {
  const canonical = await tx.account.findUnique({
    where: { provider_providerAccountId: { provider, providerAccountId: accountId } },
    select: { id: true, userId: true },
  });
  if (canonical && canonical.userId !== userId) throw new Error("linked to another user");
  if (!canonical) {
    await tx.account.update({ where: { id: legacyId }, data: { userId, provider, providerAccountId: accountId } });
  }
}`,
    },
    {
      name: "Prisma: the parent row updated first in the transaction (its lock held until commit), then the next number of its children",
      code: `${PRISMA}
export async function publish(workflowId: string, definition: object) {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.workflow.updateMany({ where: { id: workflowId, status: "draft" }, data: { status: "published" } });
    if (count !== 1) throw new Error("not a draft");
    const latest = await tx.workflowVersion.findFirst({ where: { workflowId }, orderBy: { version: "desc" } });
    return tx.workflowVersion.create({ data: { workflowId, definition, version: (latest?.version ?? 0) + 1 } });
  });
}`,
    },
    {
      name: "Prisma: a soft delete frees the name by suffixing the one read (a concurrent rename goes with the row)",
      code: `${PRISMA}
export async function deleteTeam(id: string) {
  const team = await prisma.team.findUnique({ where: { id } });
  if (!team) throw new Error("no such team");
  return prisma.team.update({ where: { id }, data: { name: \`\${team.name}-deleted-\${team.id}\`, deletedAt: new Date() } });
}`,
    },
    {
      name: "pg: a soft delete that also stores a value computed from the row read",
      code: `import { Pool } from "pg";

export async function archiveProject(pool: Pool, id: string) {
  const { rows } = await pool.query("SELECT slug FROM projects WHERE id = $1", [id]);
  await pool.query("UPDATE projects SET slug = $1, is_deleted = TRUE WHERE id = $2", [rows[0].slug + "-" + id, id]);
}`,
    },
    {
      name: "Prisma: the role check is part of a last-owner check (the owner count is write-skew's finding, not a second one)",
      code: `${PRISMA}
export async function changeRole(teamId: string, userId: string, role: "OWNER" | "EDITOR") {
  const owners = await prisma.teamMember.count({ where: { teamId, role: "OWNER" } });
  const member = await prisma.teamMember.findUnique({ where: { teamId_userId: { teamId, userId } } });
  if (!member) return null;
  if (member.role === "OWNER" && role !== "OWNER" && owners === 1) return null;
  return prisma.teamMember.update({ where: { teamId_userId: { teamId, userId } }, data: { role } });
}`,
    },
    {
      name: "Prisma: a column read inline ((await findUnique())?.folderId) only builds a path stored in another column",
      code: `${PRISMA}
export async function storeSnapshot(linkId: number) {
  const folderId = (await prisma.link.findUnique({ where: { id: linkId } }))?.folderId;
  await prisma.link.update({ where: { id: linkId }, data: { snapshotPath: \`snapshots/\${folderId}/\${linkId}.html\` } });
}`,
    },
    {
      name: "Prisma: a sliding session expiry assigned to the loaded row's field, then that field written (now + 30 days for every caller)",
      code: `${PRISMA}
const DAY = 24 * 60 * 60 * 1000;
export async function validateSession(sessionId: string) {
  const session = await prisma.session.findUnique({ where: { id: sessionId } });
  if (!session || Date.now() >= session.expiresAt.getTime()) return null;
  if (Date.now() >= session.expiresAt.getTime() - 15 * DAY) {
    session.expiresAt = new Date(Date.now() + 30 * DAY);
    await prisma.session.update({ where: { id: session.id }, data: { expiresAt: session.expiresAt } });
  }
  return session;
}`,
    },
    {
      name: "Prisma: a helper returns one of two reads; the update is guarded by the updatedAt read and its count checked",
      code: `${PRISMA}
async function findMessage(chatId: string, id?: string) {
  const hinted = id ? await prisma.chatMessage.findFirst({ where: { id, chatId } }) : null;
  if (hinted) return hinted;
  const all = await prisma.chatMessage.findMany({ where: { chatId } });
  return all.length === 1 ? all[0] : null;
}
export async function reserve(chatId: string, id: string) {
  const message = await findMessage(chatId, id);
  if (!message) throw new Error("not found");
  const parts = [...(message.parts as unknown[]), "reserved"];
  const claimed = await prisma.chatMessage.updateMany({ where: { id: message.id, updatedAt: message.updatedAt }, data: { parts } });
  if (claimed.count !== 1) throw new Error("changed meanwhile");
  return parts;
}`,
    },
    {
      name: "Prisma: a rollback puts back the values read only where the row still holds what this call wrote",
      code: `${PRISMA}
export async function reschedule(id: string, start: Date, end: Date, notify: () => Promise<boolean>) {
  const booking = await prisma.booking.findUniqueOrThrow({ where: { id } });
  const moved = await prisma.booking.updateMany({
    where: { id, startTime: booking.startTime, endTime: booking.endTime },
    data: { startTime: start, endTime: end },
  });
  if (moved.count === 0) throw new Error("changed meanwhile");
  if (await notify()) return;
  const back = await prisma.booking.updateMany({
    where: { id, startTime: start, endTime: end },
    data: { startTime: booking.startTime, endTime: booking.endTime },
  });
  if (back.count === 0) throw new Error("changed again");
}`,
    },
    {
      name: "pg: the list row locked FOR UPDATE, then the next position of its items",
      code: appendItem('\n    await client.query("SELECT id FROM lists WHERE id = $1 FOR UPDATE", [listId]);'),
    },
    {
      // The key's read-modify-write runs only while the SET NX lock is held (checked before the try): one at a time.
      name: "a Redis read-modify-write inside a SET NX lock held on every path to the read and the write",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function foldLegacyPoints(memberId: string) {
  const lockKey = \`points-fold:\${memberId}\`;
  const claimed = await redis.set(lockKey, "1", "EX", 120, "NX");
  if (!claimed) return;
  try {
    const folded = JSON.parse((await redis.get(\`points-folded:\${memberId}\`)) ?? "[]") as string[];
    folded.push(new Date().toISOString());
    await redis.set(\`points-folded:\${memberId}\`, JSON.stringify(folded));
  } finally {
    await redis.del(lockKey);
  }
}`,
    },
  ],
  invalid: [
    {
      name: "the same read taken before the lock: the value read is stale by the time the lock is held",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function foldLegacyPoints(memberId: string) {
  const lockKey = \`points-fold:\${memberId}\`;
  const folded = JSON.parse((await redis.get(\`points-folded:\${memberId}\`)) ?? "[]") as string[];
  const claimed = await redis.set(lockKey, "1", "EX", 120, "NX");
  if (!claimed) return;
  try {
    folded.push(new Date().toISOString());
    await redis.set(\`points-folded:\${memberId}\`, JSON.stringify(folded));
  } finally {
    await redis.del(lockKey);
  }
}`,
      errors: [{ line: 10, column: 11, messageId: "redisLostUpdate" }],
    },
    {
      name: "NestJS + Prisma: a service method reads by the caller's where spread with a deleted-at filter; its JSON list is spliced and written back",
      code: `${PRISMA}
export class BlueprintService {
  async blueprint(args: { where: { id: string } }) {
    return prisma.blueprint.findUnique({ where: { ...args.where, deletedAt: null } });
  }

  async deleteRelation(id: string, key: string) {
    const blueprint = await this.blueprint({ where: { id } });
    if (!blueprint) throw new Error("not found");
    const relations = (blueprint.relations as { key: string }[]).filter((r) => r.key !== key);
    await prisma.blueprint.update({ where: { id }, data: { relations } });
  }
}`,
      errors: [
        { line: 13, column: 11, messageId: "lostUpdate", data: { write: "`prisma.blueprint.update(…)`", column: "`relations`", line: 10 } },
      ],
    },
    {
      name: "Prisma: a helper returns one of two reads; the update of its JSON parts is not guarded",
      code: `${PRISMA}
async function findMessage(chatId: string, id?: string) {
  const hinted = id ? await prisma.chatMessage.findFirst({ where: { id, chatId } }) : null;
  if (hinted) return hinted;
  const all = await prisma.chatMessage.findMany({ where: { chatId } });
  return all.length === 1 ? all[0] : null;
}
export async function reserve(chatId: string, id: string) {
  const message = await findMessage(chatId, id);
  if (!message) throw new Error("not found");
  const parts = [...(message.parts as unknown[]), "reserved"];
  await prisma.chatMessage.updateMany({ where: { id: message.id }, data: { parts } });
  return parts;
}`,
      errors: [
        {
          line: 14,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.chatMessage.updateMany(…)`", column: "`parts`", line: 11 },
        },
      ],
    },
    {
      name: "Prisma: the loaded row's field set to a value computed from it, then that field written",
      code: `${PRISMA}
export async function withdraw(id: string, amount: number) {
  const wallet = await prisma.wallet.findUnique({ where: { id } });
  if (!wallet) return;
  wallet.balance = wallet.balance - amount;
  await prisma.wallet.update({ where: { id }, data: { balance: wallet.balance } });
}`,
      errors: [{ line: 8, column: 9, messageId: "lostUpdate", data: { write: "`prisma.wallet.update(…)`", column: "`balance`", line: 5 } }],
    },
    {
      name: "Prisma: a balance read inline ((await findUnique())?.balance) and written back less the amount",
      code: `${PRISMA}
export async function withdraw(id: string, amount: number) {
  const balance = (await prisma.wallet.findUnique({ where: { id } }))?.balance ?? 0;
  await prisma.wallet.update({ where: { id }, data: { balance: balance - amount } });
}`,
      output: `${PRISMA}
export async function withdraw(id: string, amount: number) {
  const balance = (await prisma.wallet.findUnique({ where: { id } }))?.balance ?? 0;
  await prisma.wallet.update({ where: { id }, data: { balance: { decrement: amount } } });
}`,
      errors: [{ line: 6, column: 9, messageId: "lostUpdate", data: { write: "`prisma.wallet.update(…)`", column: "`balance`", line: 5 } }],
    },
    {
      name: "Prisma: a restore (deletedAt cleared) that renames from the name read is an ordinary lost update",
      code: `${PRISMA}
export async function restoreTeam(id: string) {
  const team = await prisma.team.findUnique({ where: { id } });
  if (!team) throw new Error("no such team");
  return prisma.team.update({ where: { id }, data: { name: team.name.replace(/-deleted-.*$/, ""), deletedAt: null } });
}`,
      errors: [{ line: 7, column: 10, messageId: "lostUpdate", data: { write: "`prisma.team.update(…)`", column: "`name`", line: 5 } }],
    },
    {
      name: "pg: the next position of a list's items read and inserted in a transaction with no lock",
      code: appendItem(""),
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "insertFromRead",
          data: { write: "`INSERT INTO items (list_id, title, position) VALUES ($1, $2, $3)`", column: "`last`", line: 6 },
        },
      ],
    },
    {
      name: "Prisma: an ownership check on the row a non-unique lookup found, else a row created (no index stops the second)",
      code: `${PRISMA}
export async function link(tx: Prisma.TransactionClient, userId: string, provider: string, email: string) {
  const account = await tx.account.findFirst({ where: { provider, email } });
  if (account && account.userId !== userId) throw new Error("linked to another user");
  if (account) return account;
  return tx.account.create({ data: { userId, provider, email } });
}`,
      errors: [
        { line: 8, column: 10, messageId: "checkThenWrite", data: { write: "`tx.account.create(…)`", column: "`userId`", line: 5 } },
      ],
    },
    {
      name: "Prisma: the same ownership check, the row created with aliases of the values the lookup used",
      code: `${PRISMA}
export async function link(tx: Prisma.TransactionClient, userId: string, provider: string, email: string) {
  const account = await tx.account.findFirst({ where: { provider, email } });
  if (account && account.userId !== userId) throw new Error("linked to another user");
  if (account) return account;
  const p = provider, address = email;
  return tx.account.create({ data: { userId, provider: p, email: address } });
}`,
      errors: [
        { line: 9, column: 10, messageId: "checkThenWrite", data: { write: "`tx.account.create(…)`", column: "`userId`", line: 5 } },
      ],
    },
    {
      name: "Prisma: another workflow's row updated first: the children read are not under it",
      code: `${PRISMA}
export async function publishCopy(sourceId: string, workflowId: string, definition: object) {
  return prisma.$transaction(async (tx) => {
    await tx.workflow.update({ where: { id: sourceId }, data: { copiedAt: new Date() } });
    const latest = await tx.workflowVersion.findFirst({ where: { workflowId }, orderBy: { version: "desc" } });
    return tx.workflowVersion.create({ data: { workflowId, definition, version: (latest?.version ?? 0) + 1 } });
  });
}`,
      errors: [
        {
          line: 8,
          column: 12,
          messageId: "insertFromRead",
          data: { write: "`tx.workflowVersion.create(…)`", column: "`version`", line: 7 },
        },
      ],
    },
    {
      name: "pg: a balance read under an alias and written back",
      code: `import { Pool } from "pg";

export async function debit(pool: Pool, id: string, cents: number) {
  const { rows } = await pool.query("SELECT balance_cents AS current FROM wallets WHERE id = $1", [id]);
  await pool.query("UPDATE wallets SET balance_cents = $1 WHERE id = $2", [rows[0].current - cents, id]);
}`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE wallets SET balance_cents = $1`", column: "`current`", line: 4 },
        },
      ],
    },
    {
      name: "Prisma: a share token generated where missing and handed to the caller (a concurrent caller may store another)",
      code: `${PRISMA}
import { randomUUID } from "node:crypto";
export async function shareLink(id: string) {
  const document = await prisma.document.findUniqueOrThrow({ where: { id } });
  if (document.shareToken) return document.shareToken;
  const token = randomUUID();
  await prisma.document.update({ where: { id }, data: { shareToken: token } });
  return token;
}`,
      errors: [
        {
          line: 9,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`prisma.document.update(…)`", column: "`shareToken`", line: 6 },
        },
      ],
    },
    {
      name: "Prisma: a pending invitation accepted with a timestamp (a concurrent revocation passes the same check)",
      code: `${PRISMA}
export async function accept(id: string) {
  const invitation = await prisma.invitation.findUniqueOrThrow({ where: { id } });
  if (invitation.status !== "pending") throw new Error("no longer pending");
  await prisma.invitation.update({ where: { id }, data: { status: "accepted", acceptedAt: new Date() } });
}`,
      errors: [
        { line: 7, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.invitation.update(…)`", column: "`status`", line: 5 } },
      ],
    },
    {
      name: "slonik: a statement passed to pool.query as a sql template is one write, reported once",
      code: `import { sql, type DatabasePool } from "slonik";

export async function enablePasskeys(pool: DatabasePool, id: string) {
  const row = await pool.one(sql\`select sign_in from sign_in_settings where id = \${id}\`);
  const signIn = { ...(row.sign_in as object), passkeys: true };
  await pool.query(sql\`update sign_in_settings set sign_in = \${JSON.stringify(signIn)} where id = \${id}\`);
}`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`update sign_in_settings set sign_in = $?`", column: "the row", line: 4 },
        },
      ],
    },
    {
      name: "Prisma: a feature appended to the row's JSON unless present (the merged object is held by a const used only in the write)",
      code: `${PRISMA}
export async function addFeature(organizationId: string, feature: string) {
  const billing = await prisma.organizationBilling.findUnique({ where: { organizationId } });
  if (!billing?.stripe) return;
  const features = (billing.stripe as { features?: string[] }).features ?? [];
  if (features.includes(feature)) return;
  const stripe = { ...(billing.stripe as object), features: [...features, feature] };
  await prisma.organizationBilling.update({ where: { organizationId }, data: { stripe } });
}`,
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.organizationBilling.update(…)`", column: "`stripe`", line: 5 },
        },
      ],
    },
    {
      name: "Prisma: a payment made only where the order is not paid yet, then marked paid (two callers both charge)",
      code: `${PRISMA}
declare function charge(orderId: string, cents: number): Promise<void>;
export async function pay(id: string) {
  const order = await prisma.order.findUniqueOrThrow({ where: { id } });
  if (order.status !== "paid") {
    await charge(id, order.totalCents);
    await prisma.order.update({ where: { id }, data: { status: "paid" } });
  }
}`,
      errors: [
        { line: 9, column: 11, messageId: "checkThenWrite", data: { write: "`prisma.order.update(…)`", column: "`status`", line: 6 } },
      ],
    },
    {
      name: "Prisma: a pending request approved (a concurrent rejection passes the same check)",
      code: `${PRISMA}
export async function approve(id: string) {
  const request = await prisma.request.findUniqueOrThrow({ where: { id } });
  if (request.status !== "pending") throw new Error("already decided");
  return prisma.request.update({ where: { id }, data: { status: "approved" } });
}`,
      errors: [
        { line: 7, column: 10, messageId: "checkThenWrite", data: { write: "`prisma.request.update(…)`", column: "`status`", line: 5 } },
      ],
    },
    {
      name: "Prisma: a check that a role may change, then the change (two demotions can both pass)",
      code: `${PRISMA}
export async function demote(organizationId: string, userId: string) {
  const member = await prisma.membership.findUnique({
    where: { userId_organizationId: { userId, organizationId } },
  });
  if (!member || member.role !== "owner") throw new Error("not an owner");
  return prisma.membership.update({
    where: { userId_organizationId: { userId, organizationId } },
    data: { role: "member" },
  });
}`,
      errors: [
        { line: 9, column: 10, messageId: "checkThenWrite", data: { write: "`prisma.membership.update(…)`", column: "`role`", line: 5 } },
      ],
    },
    {
      name: "Prisma: the row's JSON settings merged with the input and written back",
      code: `${PRISMA}
export async function setLogo(organizationId: string, logoUrl: string) {
  const organization = await prisma.organization.findUnique({ where: { id: organizationId } });
  if (!organization) throw new Error("not found");
  await prisma.organization.update({
    where: { id: organizationId },
    data: { branding: { ...(organization.branding as object), logoUrl } },
  });
}`,
      // The favicon page writes another key of the same JSON: one of two overlapping saves is undone.
      files: {
        "src/favicon.ts": `${PRISMA}
export async function setFavicon(organizationId: string, faviconUrl: string) {
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId } });
  await prisma.organization.update({
    where: { id: organizationId },
    data: { branding: { ...(organization.branding as object), faviconUrl } },
  });
}`,
      },
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: { write: "`prisma.organization.update(…)`", column: "`branding`", line: 5, writer: "`setFavicon` (favicon.ts:6)" },
        },
        {
          filename: "src/favicon.ts",
          line: 6,
          column: 9,
          messageId: "sharedColumnLostUpdate",
          data: { write: "`prisma.organization.update(…)`", column: "`branding`", line: 5, writer: "`setLogo` (file.ts:7)" },
        },
      ],
    },
  ],
});
