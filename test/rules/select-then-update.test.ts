import { selectThenUpdate } from "../../rules/select-then-update";
import { MYSQL2_PROMISE } from "../helpers/driver-stubs";
import { runRuleTests } from "../helpers/rule-tester";

/** A module whose helper locks an account row through the transaction it is given. */
const LOCK_ACCOUNT_MODULE = {
  "src/locks.ts": `import { Prisma } from "@prisma/client";
export async function lockAccount(tx: Prisma.TransactionClient, accountId: string) {
  await tx.$queryRaw\`SELECT id FROM "Account" WHERE id = \${accountId} FOR UPDATE\`;
}`,
};

/** A Prisma transaction that calls lockAccount with `handle`, then reads the balance and writes `balance`. */
const withdrawAfterLocking = (handle: string, balance: string) => `import { PrismaClient } from "@prisma/client";
import { lockAccount } from "./locks";
const prisma = new PrismaClient();
export async function withdraw(accountId: string, amount: number) {
  await prisma.$transaction(async (tx) => {
    await lockAccount(${handle}, accountId);
    const account = await tx.account.findUniqueOrThrow({ where: { id: accountId } });
    await tx.account.update({ where: { id: accountId }, data: { balance: ${balance} } });
  });
}`;

/** A Prisma transaction that locks a folder's siblings through a helper whose query is chosen by `lockQuery`, then appends. */
const appendFolder = (lockQuery: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
async function lockSiblings(tx: Prisma.TransactionClient, ownerId: string, parentId: string | null) {
  const query = ${lockQuery};
  return tx.$executeRaw(query);
}
export async function addFolder(ownerId: string, parentId: string | null, name: string) {
  return prisma.$transaction(async (tx) => {
    await lockSiblings(tx, ownerId, parentId);
    const last = await tx.folder.findFirst({ where: { ownerId, parentId }, orderBy: { orderIndex: "desc" } });
    return tx.folder.create({ data: { ownerId, parentId, name, orderIndex: (last?.orderIndex ?? 0) + 1 } });
  });
}`;

/** A Sequelize transaction that runs `lockQuery` first (a lock-only query, or nothing), then reads and writes a stock row. */
const reserveStock = (lockQuery: string) => `import { Sequelize } from "sequelize";
import { Stock } from "./models";
export async function reserve(sequelize: Sequelize, sku: string, quantity: number): Promise<void> {
  await sequelize.transaction(async (t) => {
    ${lockQuery}
    const stock = await Stock.findOne({ where: { sku }, transaction: t });
    if (!stock) throw new Error("unknown sku");
    await stock.update({ reserved: stock.reserved + quantity }, { transaction: t });
  });
}`;

/** A name reservation: a check that nobody else holds it, then `insert` (a create, bare or in a try). */
const reserveName = (insert: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function reserve(name: string, ownerId: string) {
  const held = await prisma.reservation.findFirst({ where: { name } });
  if (held && held.ownerId !== ownerId) throw new Error("name already reserved");
  if (held) return held;
  ${insert}
}`;

/** A project wrapper around `prisma.$transaction` whose body is `body`, called with the options `options`. */
const renameThroughWrapper = (body: string, options: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type TxOptions = { isolationLevel?: Prisma.TransactionIsolationLevel };
async function inTransaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>, options?: TxOptions): Promise<T> {
  ${body}
}

export async function relabel(boardId: string, label: string) {
  return inTransaction(async (tx) => {
    const board = await tx.board.findFirstOrThrow({ where: { id: boardId } });
    return tx.board.update({ where: { id: boardId }, data: { meta: { ...(board.meta as object), label } } });
  }, ${options});
}`;

/** Another writer of `board.meta`: a merge of `meta` is a lost update only with a second code path writing it. */
const BOARD_META_WRITER = {
  "src/archive.ts": `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function archiveBoard(id: string) {
  await prisma.board.update({ where: { id }, data: { meta: { archived: true } } });
}`,
};
const META_ALSO_WRITTEN = (write: string, line: number) => ({
  messageId: "sharedColumnLostUpdate",
  data: { write, column: "`meta`", line, writer: "`archiveBoard` (archive.ts:4)" },
});

/** A card's link retargeted through a nested update of its newest edit; `extra` adds columns of the card itself. */
const retargetCard = (extra: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function retarget(boardId: string, cardId: string, url: string) {
  const card = await prisma.card.findUnique({
    where: { id: cardId, boardId },
    select: { id: true, kind: true, edits: { select: { id: true }, orderBy: { at: "desc" }, take: 1 }, editCount: true },
  });
  if (!card || card.kind !== "link" || !card.edits[0]) throw new Error("no link card");
  await prisma.card.update({
    where: { id: cardId },
    data: { url, ${extra}edits: { update: { where: { id: card.edits[0].id }, data: { url } } } },
  });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // Skipped while the flag is off, and the write turns it off: two callers end as one would.
      name: "Prisma: a flag turned off only where it is on",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function notifyAdmins(teamId: string): Promise<void>;
export async function turnOffMfa(teamId: string) {
  const team = await prisma.team.findUniqueOrThrow({ where: { id: teamId } });
  if (!team.mfaRequired) return;
  await prisma.team.update({ where: { id: teamId }, data: { mfaRequired: false, updatedAt: new Date() } });
}`,
    },
    {
      // The read picks the related row to update (a nested update's `where`); every value written is the request's.
      name: "Prisma: a nested update of the newest related row, named by an id read before",
      code: retargetCard(""),
    },
    {
      // The written object's key `machine` is not the variable `machine`: nothing read is written back.
      name: "a row read for an ownership check whose variable shares its name with a key of the written JSON",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function configureProbes(tenantId: string, hostId: string, intervalSec: number) {
  const machine = await prisma.host.findUniqueOrThrow({ where: { id: hostId } });
  if (machine.tenantId !== tenantId) throw new Error("not your host");
  await prisma.host.update({ where: { id: hostId }, data: { probes: { machine: { intervalSec } } } });
  return machine.name;
}`,
    },
    {
      // The claim repeats the read's filter in its WHERE and checks the count; the other writes leave the filtered
      // column alone, or the filter is `null` (a soft-delete or set-once marker, not a state a second caller fails).
      name: "a read filtered on a state: a claim that repeats it, a write of another column, a null filter",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function transfer(to: string, cents: number): Promise<void>;
export async function payOut(payoutId: string) {
  const payout = await prisma.payout.findFirst({ where: { id: payoutId, state: "QUEUED" } });
  if (!payout) throw new Error("payout is not queued");
  const claimed = await prisma.payout.updateMany({ where: { id: payout.id, state: "QUEUED" }, data: { state: "SENDING" } });
  if (claimed.count === 0) return;
  await transfer(payout.recipient, payout.cents);
}
export async function rename(payoutId: string, memo: string) {
  const payout = await prisma.payout.findFirst({ where: { id: payoutId, state: "QUEUED" } });
  if (!payout) throw new Error("payout is not queued");
  await prisma.payout.update({ where: { id: payout.id }, data: { memo } });
}
export async function archive(payoutId: string) {
  const payout = await prisma.payout.findFirst({ where: { id: payoutId, archivedAt: null } });
  if (!payout) return;
  await prisma.payout.update({ where: { id: payout.id }, data: { archivedAt: new Date() } });
}`,
    },
    {
      name: "Prisma: a copy into the same workspace of a row read by its id and workspace (the new row is not the one read)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function copyReport(reportId: string, workspaceId: string) {
  const source = await prisma.report.findFirstOrThrow({ where: { id: reportId, workspaceId } });
  return prisma.report.create({ data: { workspaceId, title: \`\${source.title} (copy)\`, query: source.query as object } });
}`,
    },
    {
      name: "Prisma: a check on the source row, then a new row with another key (a clone collides with nothing)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function cloneWorkflow(workflowId: string, ownerId: string) {
  const source = await prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
  if (source.archived) throw new Error("archived workflows cannot be cloned");
  return prisma.workflow.create({ data: { ownerId, archived: false, steps: source.steps as object } });
}`,
    },
    {
      name: "Prisma: a replay copying an event read by its id, with its attempt count plus one (not a next number)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function replay(eventId: string) {
  const event = await prisma.webhookEvent.findUniqueOrThrow({ where: { id: eventId } });
  return prisma.webhookEvent.create({ data: { endpointId: event.endpointId, payload: event.payload as object, attempt: event.attempt + 1 } });
}`,
    },
    {
      name: "Prisma: SERIALIZABLE asked through a project wrapper's options, the wrapper retrying serialization failures",
      code: renameThroughWrapper(
        `for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work, options);
    } catch (error) {
      if ((error as { code?: string }).code !== "P2034" || attempt === 5) throw error;
      await new Promise((r) => setTimeout(r, 2 ** attempt * 10));
    }
  }`,
        '{ isolationLevel: "Serializable" }',
      ),
    },
    {
      name: "Prisma: check-then-insert closed by a unique index, the duplicate-key error (P2002) handled",
      code: reserveName(`try {
    return await prisma.reservation.create({ data: { name, ownerId } });
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") throw new Error("name already reserved");
    throw error;
  }`),
    },
    {
      name: "Prisma: an immutable flag read from the row only chooses how the input is stored",
      code: `import { PrismaClient } from "@prisma/client";
import { encrypt } from "./crypto";
const prisma = new PrismaClient();

export async function saveApiKey(projectId: string, apiKey: string) {
  const project = await prisma.project.findUniqueOrThrow({ where: { id: projectId }, select: { encryptedAtRest: true } });
  await prisma.project.update({ where: { id: projectId }, data: { apiKey: project.encryptedAtRest ? encrypt(apiKey) : apiKey } });
}`,
    },
    {
      name: "Prisma: only the row's id goes into the written value",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function publish(slug: string) {
  const doc = await prisma.document.findFirstOrThrow({ where: { slug } });
  await prisma.document.update({ where: { slug }, data: { canonicalUrl: \`/d/\${doc.id}\`, publishedAt: new Date() } });
}`,
    },
    {
      name: "pg: a timestamp set once, only while it is still NULL, by the database clock",
      code: `import { Pool } from "pg";

export async function markDelivered(pool: Pool, deliveryId: string): Promise<void> {
  const { rows } = await pool.query("SELECT delivered_at FROM deliveries WHERE id = $1", [deliveryId]);
  if (rows.length === 0 || rows[0].delivered_at !== null) return;
  await pool.query("UPDATE deliveries SET delivered_at = NOW() WHERE id = $1", [deliveryId]);
}`,
    },
    {
      name: "Prisma: a flag set to true only when it is false",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function confirmEmail(userId: string) {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  if (user.emailConfirmed) return user;
  return prisma.user.update({ where: { id: userId }, data: { emailConfirmed: true } });
}`,
    },
    {
      name: "Prisma: a first-seen time kept when set (`??`), a relation linked by the id read, beside a plain timestamp",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function touchDevice(deviceId: string) {
  const device = await prisma.device.findUniqueOrThrow({ where: { id: deviceId } });
  await prisma.device.update({
    where: { id: deviceId },
    data: {
      firstSeenAt: device.firstSeenAt ?? new Date(),
      lastSeenAt: new Date(),
      owner: { connect: { id: device.pendingOwnerId } },
    },
  });
}`,
    },
    {
      name: "Prisma: an acceptance time set once (the ternary leaves it out when set), with the relation connected",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function acceptInvite(inviteId: string) {
  const invite = await prisma.invite.findUniqueOrThrow({ where: { id: inviteId } });
  await prisma.invite.update({
    where: { id: inviteId },
    data: { acceptedAt: invite.acceptedAt ? undefined : new Date(), team: { connect: { id: invite.teamId } } },
  });
}`,
    },
    {
      name: "Prisma: a create of a new row copying fields of the row read",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function duplicateInvoice(invoiceId: string) {
  const source = await prisma.invoice.findUniqueOrThrow({ where: { id: invoiceId } });
  return prisma.invoice.create({
    data: { title: source.title + " (draft)", customerId: source.customerId, lines: source.lines as object, currency: source.currency },
  });
}`,
    },
    {
      name: "Sequelize: a lock-only query through a scoped model takes the row lock before the read, in the same transaction",
      code: reserveStock(
        'await Stock.scope("withArchived").findOne({ where: { sku }, attributes: ["sku"], transaction: t, lock: t.LOCK.UPDATE });',
      ),
    },
    {
      name: "Sequelize: the same lock-only query through an unscoped model",
      code: reserveStock('await Stock.unscoped().findOne({ where: { sku }, attributes: ["sku"], transaction: t, lock: true });'),
    },
    {
      name: "Prisma: a helper's locking query chosen by a condition, both choices FOR UPDATE on the same table",
      code: appendFolder(
        'parentId\n    ? Prisma.sql`SELECT "orderIndex" FROM "Folder" WHERE "ownerId" = ${ownerId} AND "parentId" = ${parentId} FOR UPDATE`\n    : Prisma.sql`SELECT "orderIndex" FROM "Folder" WHERE "ownerId" = ${ownerId} AND "parentId" IS NULL FOR UPDATE`',
      ),
    },
    {
      name: "pg: the transaction's client under another const name is the same handle",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number) {
  const client = await pool.connect();
  const db = client;
  try {
    await db.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    await db.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await db.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "pg: a guard that runs ROLLBACK and returns does not end the transaction for the write after it",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    if (rows[0].balance < amount) {
      await client.query("ROLLBACK");
      return false;
    }
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
    return true;
  } finally {
    client.release();
  }
}`,
    },
    {
      // ROLLBACK TO SAVEPOINT undoes only the statements after the savepoint: the transaction and the row lock taken
      // before it stay, so the debit after the failed audit insert still runs under the FOR UPDATE.
      name: "pg (Express): an audit insert undone with ROLLBACK TO SAVEPOINT keeps the transaction and its row lock",
      code: `import { Pool } from "pg";
import type { Request, Response } from "express";
const pool = new Pool();
export async function debitRoute(req: Request, res: Response) {
  const { id, amount } = req.body as { id: string; amount: number };
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    await client.query("SAVEPOINT audit");
    try {
      await client.query("INSERT INTO account_audit (account_id, amount) VALUES ($1, $2)", [id, amount]);
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT audit");
    }
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
    res.json({ ok: true });
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "Sequelize: the transaction arrives from the caller; the locking read and the save both run in it",
      code: `import { Model } from "sequelize";
import type { Transaction } from "sequelize";
class Wallet extends Model {
  declare balance: number;
}
export async function spend(walletId: string, amount: number, transaction: Transaction) {
  const wallet = await Wallet.findOne({ where: { id: walletId }, lock: transaction.LOCK.UPDATE, transaction });
  if (!wallet) throw new Error("no wallet");
  wallet.balance = wallet.balance - amount;
  await wallet.save({ transaction });
}`,
    },
    {
      name: "knex: a Knex.Transaction parameter inside an options object, forUpdate then update",
      code: `import type { Knex } from "knex";
export async function reserve({ trx, sku }: { trx: Knex.Transaction; sku: string }) {
  const item = await trx("stock").where({ sku }).forUpdate().first();
  await trx("stock").where({ sku }).update({ reserved: item.reserved + 1 });
}`,
    },
    {
      name: "Prisma: a helper in another module locks the row through the transaction it is given",
      files: LOCK_ACCOUNT_MODULE,
      code: withdrawAfterLocking("tx", "account.balance - amount"),
    },
    {
      name: "pg: a wrapper of a locking helper, both in this file, called on the client after BEGIN",
      code: `import { Pool, PoolClient } from "pg";
async function lockRows(client: PoolClient, ids: string[]) {
  await client.query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", [ids]);
}
const lockRow = (db: PoolClient, id: string) => lockRows(db, [id]);
export async function debit(pool: Pool, id: string, amount: number) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await lockRow(client, id);
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "pg: FOR UPDATE inside BEGIN … COMMIT on the same client",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    if (rows[0].balance < amount) throw new Error("insufficient funds");
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}`,
    },
    {
      name: "runtime withPgTransaction + FOR NO KEY UPDATE",
      code: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR NO KEY UPDATE", [id]);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
  });
}`,
    },
    {
      name: "runtime withPgTransaction SERIALIZABLE",
      code: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
  }, { isolation: "serializable" });
}`,
    },
    {
      name: "pg: BEGIN ISOLATION LEVEL SERIALIZABLE in a loop that retries serialization failures",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [id]);
      await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
      await client.query("COMMIT");
      return;
    } catch (error) {
      await client.query("ROLLBACK");
      if ((error as { code?: string }).code !== "40001" || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
    } finally {
      client.release();
    }
  }
}`,
    },
    {
      name: "compare-and-set on the version read (unchecked-optimistic-update's business)",
      code: `import { Pool } from "pg";
export async function rename(pool: Pool, id: string, suffix: string): Promise<boolean> {
  const { rows: [doc] } = await pool.query("SELECT title, version FROM docs WHERE id = $1", [id]);
  const result = await pool.query("UPDATE docs SET title = $1, version = version + 1 WHERE id = $2 AND version = $3", [doc.title + suffix, id, doc.version]);
  return result.rowCount === 1;
}`,
    },
    {
      name: "atomic update with the check repeated in WHERE",
      code: `import { Pool } from "pg";
export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const { rows } = await pool.query("SELECT stock FROM inventory WHERE sku = $1", [sku]);
  if (rows[0].stock < quantity) throw new Error("out of stock");
  const updated = await pool.query("UPDATE inventory SET stock = stock - $1 WHERE sku = $2 AND stock >= $1", [quantity, sku]);
  if (updated.rowCount === 0) throw new Error("out of stock");
}`,
    },
    {
      name: "conditional update: the status check is repeated in WHERE",
      code: `import { Pool } from "pg";
export async function book(pool: Pool, seatId: string, userId: string): Promise<void> {
  const { rows: [seat] } = await pool.query("SELECT status FROM seats WHERE id = $1", [seatId]);
  if (seat.status !== "available") throw new Error("taken");
  const updated = await pool.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2 AND status = 'available'", [userId, seatId]);
  if (updated.rowCount === 0) throw new Error("taken");
}`,
    },
    {
      name: "existence check only, value not derived from the read",
      code: `import { Pool } from "pg";
export async function close(pool: Pool, id: string): Promise<void> {
  const { rows } = await pool.query("SELECT id FROM accounts WHERE id = $1", [id]);
  if (rows.length === 0) throw new Error("not found");
  await pool.query("UPDATE accounts SET status = 'closed' WHERE id = $1", [rows[0].id]);
}`,
    },
    {
      name: "check on a column the write does not change",
      code: `import { Pool } from "pg";
export async function touch(pool: Pool, id: string): Promise<void> {
  const { rows } = await pool.query("SELECT role FROM users WHERE id = $1", [id]);
  if (rows[0].role !== "admin") return;
  await pool.query("UPDATE users SET last_login = now() WHERE id = $1", [id]);
}`,
    },
    {
      name: "write of another row (different key value) of the same table",
      code: `import type { Pool } from "pg";
export async function copyPrice(pool: Pool, fromId: string, toId: string): Promise<void> {
  const { rows } = await pool.query("SELECT price FROM products WHERE id = $1", [fromId]);
  await pool.query("UPDATE products SET price = $1 WHERE id = $2", [rows[0].price, toId]);
}`,
    },
    {
      name: "read of another table",
      code: `import { Pool } from "pg";
export async function audit(pool: Pool, id: string): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await pool.query("UPDATE audit_log SET last_balance = $1 WHERE account_id = $2", [rows[0].balance, id]);
}`,
    },
    {
      name: "mysql2: FOR UPDATE inside beginTransaction … commit",
      code: `import type { Pool } from "mysql2/promise";
export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const [rows] = await conn.query<any[]>("SELECT stock FROM inventory WHERE sku = ? FOR UPDATE", [sku]);
    if (rows[0].stock < quantity) throw new Error("out of stock");
    await conn.execute("UPDATE inventory SET stock = ? WHERE sku = ?", [rows[0].stock - quantity, sku]);
    await conn.commit();
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
}`,
    },
    {
      name: "knex: forUpdate inside knex.transaction",
      code: `import type { Knex } from "knex";
export async function debit(knex: Knex, id: number, amount: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const account = await trx("accounts").where({ id }).forUpdate().first();
    await trx("accounts").where({ id }).update({ balance: account.balance - amount });
  });
}`,
    },
    {
      name: "knex: decrement with the guard in WHERE",
      code: `import type { Knex } from "knex";
export async function debit(knex: Knex, id: number, amount: number): Promise<void> {
  const account = await knex("accounts").where({ id }).first();
  if (account.balance < amount) throw new Error("insufficient funds");
  const updated = await knex("accounts").where({ id }).andWhere("balance", ">=", amount).decrement("balance", amount);
  if (updated === 0) throw new Error("insufficient funds");
}`,
    },
    {
      name: "Prisma: increment without using the read",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function credit(id: number, amount: number): Promise<void> {
  const account = await prisma.account.findUnique({ where: { id } });
  if (!account) throw new Error("not found");
  await prisma.account.update({ where: { id }, data: { balance: { increment: amount } } });
}`,
    },
    {
      name: "Prisma: $queryRaw FOR UPDATE inside an interactive $transaction",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function debit(id: number, amount: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const [account] = await tx.$queryRaw<{ balance: number }[]>\`SELECT balance FROM "Account" WHERE id = \${id} FOR UPDATE\`;
    await tx.account.update({ where: { id }, data: { balance: account.balance - amount } });
  });
}`,
    },
    {
      name: "Prisma: interactive $transaction at SERIALIZABLE inside the runtime's retry",
      code: `import { Prisma, PrismaClient } from "@prisma/client";
import { retry } from "@locksmith/runtime";
const prisma = new PrismaClient();
export async function debit(id: number, amount: number): Promise<void> {
  await retry(() =>
    prisma.$transaction(async (tx) => {
      const account = await tx.account.findUniqueOrThrow({ where: { id } });
      await tx.account.update({ where: { id }, data: { balance: account.balance - amount } });
    }, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable }),
    { retryOn: (error) => (error as { code?: string }).code === "P2034" },
  );
}`,
    },
    {
      name: "Prisma: updateMany compare-and-set on version",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function debit(id: number, amount: number): Promise<number> {
  const account = await prisma.account.findUniqueOrThrow({ where: { id } });
  const { count } = await prisma.account.updateMany({ where: { id, version: account.version }, data: { balance: account.balance - amount, version: { increment: 1 } } });
  return count;
}`,
    },
    {
      name: "TypeORM: pessimistic_write lock inside dataSource.transaction",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";
export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const account = await manager.findOne(Account, { where: { id }, lock: { mode: "pessimistic_write" } });
    if (!account) throw new Error("not found");
    account.balance -= amount;
    await manager.save(account);
  });
}`,
    },
    {
      name: "TypeORM: repository decrement",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";
export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  const repo = dataSource.getRepository(Account);
  const account = await repo.findOneByOrFail({ id });
  if (account.frozen) throw new Error("frozen");
  await repo.decrement({ id }, "balance", amount);
}`,
    },
    {
      name: 'TypeORM: query builder setLock("pessimistic_write") inside dataSource.transaction, then save',
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";
export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const account = await manager.createQueryBuilder(Account, "a").setLock("pessimistic_write").where("a.id = :id", { id }).getOneOrFail();
    account.balance -= amount;
    await manager.save(account);
  });
}`,
    },
    {
      name: "TypeORM: query builder update computed by the database (a function value is SQL)",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";
export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  const account = await dataSource.getRepository(Account).createQueryBuilder("a").where("a.id = :id", { id }).getOneOrFail();
  if (account.frozen) throw new Error("frozen");
  await dataSource.createQueryBuilder().update(Account).set({ balance: () => "balance - :amount" }).setParameter("amount", amount).where("id = :id", { id }).execute();
}`,
    },
    {
      name: "Sequelize: findOne with lock: true and the transaction, then Model.update",
      code: `import { Sequelize } from "sequelize";
import { Account } from "./models";
export async function debit(sequelize: Sequelize, id: number, amount: number): Promise<void> {
  const t = await sequelize.transaction();
  try {
    const account = await Account.findOne({ where: { id }, lock: true, transaction: t });
    await Account.update({ balance: account!.balance - amount }, { where: { id }, transaction: t });
    await t.commit();
  } catch (error) {
    await t.rollback();
    throw error;
  }
}`,
    },
    {
      name: "Sequelize: lock t.LOCK.UPDATE with transaction t",
      code: `import { Sequelize } from "sequelize";
import { Account } from "./models";
export async function debit(sequelize: Sequelize, id: number, amount: number): Promise<void> {
  await sequelize.transaction(async (t) => {
    const account = await Account.findByPk(id, { transaction: t, lock: t.LOCK.UPDATE });
    if (!account) throw new Error("not found");
    await account.update({ balance: account.balance - amount }, { transaction: t });
  });
}`,
    },
    {
      name: "Sequelize: SERIALIZABLE managed transaction inside p-retry",
      code: `import pRetry from "p-retry";
import { Sequelize, Transaction } from "sequelize";
import { Account } from "./models";
export async function debit(sequelize: Sequelize, id: number, amount: number): Promise<void> {
  await pRetry(() =>
    sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE }, async (t) => {
      const account = await Account.findByPk(id, { transaction: t });
      if (!account) throw new Error("not found");
      await account.update({ balance: account.balance - amount }, { transaction: t });
    }),
  { retries: 5 });
}`,
    },
    {
      name: "Sequelize: instance decrement",
      code: `import { Account } from "./models";
import type { Transaction } from "sequelize";
export async function debit(id: number, amount: number): Promise<void> {
  const account = await Account.findByPk(id);
  if (!account) throw new Error("not found");
  await account.decrement("balance", { by: amount });
}`,
    },
    {
      name: "Sequelize: model declared with version: true (optimistic locking on save)",
      code: `import { Account } from "./models";
import type { Transaction } from "sequelize";
export async function debit(id: number, amount: number): Promise<void> {
  const account = await Account.findByPk(id);
  if (!account) throw new Error("not found");
  account.balance = account.balance - amount;
  await account.save();
}`,
      files: {
        "src/models.ts": `import { DataTypes, Model, Sequelize } from "sequelize";
export class Account extends Model { declare balance: number; }
Account.init({ balance: DataTypes.INTEGER }, { sequelize: new Sequelize("sqlite::memory:"), version: true });
`,
      },
    },
    {
      name: 'Drizzle: .for("update") inside db.transaction',
      code: `import { eq } from "drizzle-orm";
import { db } from "./db";
import { accounts } from "./schema";
export async function debit(id: number, amount: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [account] = await tx.select().from(accounts).where(eq(accounts.id, id)).for("update");
    await tx.update(accounts).set({ balance: account.balance - amount }).where(eq(accounts.id, id));
  });
}`,
    },
    {
      name: "Drizzle: sql expression update",
      code: `import { eq, sql } from "drizzle-orm";
import { db } from "./db";
import { accounts } from "./schema";
export async function credit(id: number, amount: number): Promise<void> {
  const [account] = await db.select().from(accounts).where(eq(accounts.id, id));
  if (!account) throw new Error("not found");
  await db.update(accounts).set({ balance: sql\`\${accounts.balance} + \${amount}\` }).where(eq(accounts.id, id));
}`,
    },
    {
      name: "Kysely: forUpdate inside db.transaction().execute",
      code: `import { Kysely } from "kysely";
export async function debit(db: Kysely<any>, id: number, amount: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const account = await trx.selectFrom("accounts").select(["balance"]).where("id", "=", id).forUpdate().executeTakeFirstOrThrow();
    await trx.updateTable("accounts").set({ balance: account.balance - amount }).where("id", "=", id).execute();
  });
}`,
    },
    {
      name: "Kysely: expression update with the guard in WHERE",
      code: `import { Kysely } from "kysely";
export async function debit(db: Kysely<any>, id: number, amount: number): Promise<void> {
  const account = await db.selectFrom("accounts").select(["balance"]).where("id", "=", id).executeTakeFirstOrThrow();
  if (account.balance < amount) throw new Error("insufficient funds");
  await db.updateTable("accounts").set((eb) => ({ balance: eb("balance", "-", amount) })).where("id", "=", id).where("balance", ">=", amount).execute();
}`,
    },
    {
      name: "Redis: WATCH + MULTI",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function hit(key: string): Promise<void> {
  await redis.watch(key);
  const current = Number(await redis.get(key));
  await redis.multi().set(key, String(current + 1)).exec();
}`,
    },
    {
      name: "Redis: INCRBY",
      code: `import Redis from "ioredis";
const redis = new Redis();
export async function hit(key: string): Promise<void> {
  await redis.incrby(key, 1);
}`,
    },
  ],
  invalid: [
    {
      // The twin: the check also guards other work, which two callers both do.
      name: "Prisma: a flag turned off only where it is on, after notifying the admins",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function notifyAdmins(teamId: string): Promise<void>;
export async function turnOffMfa(teamId: string) {
  const team = await prisma.team.findUniqueOrThrow({ where: { id: teamId } });
  if (!team.mfaRequired) return;
  await notifyAdmins(teamId);
  await prisma.team.update({ where: { id: teamId }, data: { mfaRequired: false, updatedAt: new Date() } });
}`,
      errors: [
        { line: 8, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.team.update(…)`", column: "`mfaRequired`", line: 5 } },
      ],
    },
    {
      // The twin: next to the nested update, a column of the row itself is written back from the read.
      name: "Prisma: a nested update of a related row next to a counter written back from the read",
      code: retargetCard("editCount: card.editCount + 1, "),
      errors: [{ line: 9, column: 9, messageId: "lostUpdate", data: { write: "`prisma.card.update(…)`", column: "`editCount`", line: 4 } }],
    },
    {
      // The read's filter is the check: both callers find the QUEUED payout and both send it. Only the first write of
      // `state` after the read is decided by it (the later SENT is this call's own progress).
      name: "Prisma: a payout found by its QUEUED state, then claimed by id alone before a transfer",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function transfer(to: string, cents: number): Promise<void>;
export async function payOut(payoutId: string) {
  const payout = await prisma.payout.findFirst({ where: { id: payoutId, state: "QUEUED" } });
  if (!payout) throw new Error("payout is not queued");
  await prisma.payout.update({ where: { id: payout.id }, data: { state: "SENDING" } });
  await transfer(payout.recipient, payout.cents);
  await prisma.payout.update({ where: { id: payout.id }, data: { state: "SENT" } });
}`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "filterThenWrite",
          message:
            '`prisma.payout.update(…)` changes `state`, which the read at line 5 required to be `"QUEUED"` to find the row, but nothing locks the row: two concurrent calls can both find it and both write, where run one after the other the second would not have found it.',
          related: [{ line: 5, message: "value read here and checked at line 6" }],
        },
      ],
    },
    {
      name: "TypeORM: an injected repository finds a waiting job, then moves it to rendering by id inside `if (job)`",
      files: {
        "src/export-job.entity.ts": `import { Entity, PrimaryGeneratedColumn, Column } from "typeorm";
@Entity()
export class ExportJob {
  @PrimaryGeneratedColumn() id!: number;
  @Column() phase!: string;
}`,
      },
      code: `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { ExportJob } from "./export-job.entity";
declare function render(id: number): Promise<void>;
@Injectable()
export class ExportRunner {
  constructor(@InjectRepository(ExportJob) private readonly jobs: Repository<ExportJob>) {}
  async start(jobId: number) {
    const job = await this.jobs.findOne({ where: { id: jobId, phase: "waiting" } });
    if (job) {
      await this.jobs.update({ id: job.id }, { phase: "rendering" });
      await render(job.id);
    }
  }
}`,
      errors: [
        {
          line: 12,
          column: 13,
          messageId: "filterThenWrite",
          data: { write: "`this.jobs.update(…)`", column: "`phase`", line: 10, required: '`"waiting"`' },
        },
      ],
    },
    {
      name: "Prisma: a helper's query chosen by a condition, only one choice FOR UPDATE: no lock is credited",
      code: appendFolder(
        'parentId\n    ? Prisma.sql`SELECT "orderIndex" FROM "Folder" WHERE "ownerId" = ${ownerId} AND "parentId" = ${parentId} FOR UPDATE`\n    : Prisma.sql`SELECT "orderIndex" FROM "Folder" WHERE "ownerId" = ${ownerId} AND "parentId" IS NULL`',
      ),
      errors: [
        { line: 13, column: 12, messageId: "insertFromRead", data: { write: "`tx.folder.create(…)`", column: "`orderIndex`", line: 12 } },
      ],
    },
    {
      name: "Prisma: the locking helper is called with the client, not the transaction: the lock is another connection's",
      files: LOCK_ACCOUNT_MODULE,
      code: withdrawAfterLocking("prisma", "account.balance - amount"),
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`tx.account.update(…)`", column: "`balance`", line: 7 } }],
      output: withdrawAfterLocking("prisma", "{ decrement: amount }"),
    },
    {
      name: "pg Pool: read, check, write the computed balance",
      code: `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          endLine: 7,
          endColumn: 100,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
          message:
            "`UPDATE accounts SET balance = $1` writes a value computed from `balance` read at line 4 without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.",
          help: "Lock the row (`SELECT … FOR UPDATE` in the same transaction) or update atomically (`SET balance = balance - $1`).",
          related: [{ line: 4, message: "value read here" }],
          suggestions: [
            {
              title: "Lock the row: read with FOR UPDATE inside withPgTransaction",
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [balance - amount, accountId]);
  });
}
`,
            },
            {
              title: "Optimistic update: write only if `balance` is unchanged, retry with backoff on conflict",
              output: `import { Pool } from "pg";
import { assertAffected, retry } from "@locksmith/runtime";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  await retry(async () => {
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
    const balance: number = rows[0].balance;
    if (balance < amount) throw new Error("insufficient funds");
    const updated = await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2 AND balance = $3", [balance - amount, accountId, balance]);
    assertAffected(updated.rowCount, "accounts row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
`,
            },
          ],
        },
      ],
      output: `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const balance: number = rows[0].balance;
  if (balance < amount) throw new Error("insufficient funds");
  const updated = await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", [amount, accountId]);
  if (updated.rowCount === 0) throw new Error("insufficient funds");
}
`,
    },
    {
      name: "pg: guard on the new value, bound needs its own placeholder",
      code: `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number, floor: number): Promise<void> {
  const { rows: [account] } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const next = account.balance - amount;
  if (next < floor) throw new Error("below floor");
  await pool.query({ text: "UPDATE accounts SET balance = $1 WHERE id = $2", values: [next, accountId] });
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
        },
      ],
      output: `import { Pool } from "pg";

export async function debit(pool: Pool, accountId: string, amount: number, floor: number): Promise<void> {
  const { rows: [account] } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
  const next = account.balance - amount;
  if (next < floor) throw new Error("below floor");
  const updated = await pool.query({ text: "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance - $1 >= $3", values: [amount, accountId, floor] });
  if (updated.rowCount === 0) throw new Error("below floor");
}
`,
    },
    {
      name: "pg: helper function of the same file reads the row, no check",
      code: `import { Pool } from "pg";

async function loadAccount(pool: Pool, id: string) {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  return rows[0];
}

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const account = await loadAccount(pool, id);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [amount + account.balance, id]);
}
`,
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 9 },
          related: [{ line: 9 }, { line: 4, message: "row read here, in `loadAccount`" }],
        },
      ],
      output: `import { Pool } from "pg";

async function loadAccount(pool: Pool, id: string) {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  return rows[0];
}

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const account = await loadAccount(pool, id);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, id]);
}
`,
    },
    {
      name: "pg: no row-lock suggestion when a value read is used after the write",
      code: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<number> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + amount, id]);
  return rows[0].balance + amount;
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
          suggestions: [],
        },
      ],
      output: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<number> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, id]);
  return rows[0].balance + amount;
}
`,
    },
    {
      name: "pg: FOR UPDATE outside a transaction does not protect",
      code: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + amount, id]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`UPDATE accounts SET balance = $1`",
            column: "`balance`",
            line: 4,
            lock: "`FOR UPDATE`",
            why: "outside a transaction the lock is released when that statement ends",
          },
          help: "Lock the row (`SELECT … FOR UPDATE` in the same transaction) or update atomically (`SET balance = balance + $1`).",
        },
      ],
      output: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, id]);
}
`,
    },
    {
      name: "pg: the write runs on the pool, outside the client's transaction",
      code: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  await client.query("BEGIN");
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + amount, id]);
  await client.query("COMMIT");
  client.release();
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`UPDATE accounts SET balance = $1`",
            column: "`balance`",
            line: 6,
            lock: "`FOR UPDATE`",
            why: "the write runs outside its transaction",
          },
        },
      ],
      output: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  await client.query("BEGIN");
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, id]);
  await client.query("COMMIT");
  client.release();
}
`,
    },
    {
      name: "pg: READ COMMITTED transaction without a lock",
      code: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  await client.query("BEGIN");
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + amount, id]);
  await client.query("COMMIT");
  client.release();
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 6 },
          related: [{ line: 6, message: "value read here" }],
        },
      ],
      output: `import { Pool } from "pg";

export async function credit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  await client.query("BEGIN");
  const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await client.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, id]);
  await client.query("COMMIT");
  client.release();
}
`,
    },
    {
      name: "pg: SERIALIZABLE transaction opened here and not retried: the aborted call fails",
      code: `import { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`,
      errors: [
        {
          line: 7,
          column: 11,
          endLine: 7,
          endColumn: 105,
          messageId: "unretried",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 6, isolation: "SERIALIZABLE" },
          message:
            "`UPDATE accounts SET balance = $1` depends on `balance` read at line 6 inside a SERIALIZABLE transaction that nothing here retries: when two calls overlap, the database aborts one of them (serialization failure 40001, or deadlock) instead of losing an update, and that call fails unless every caller runs it again.",
          help: 'Retry the transaction with backoff (`withPgTransaction(pool, fn, { isolation: "serializable" })` retries it by itself) or lock the row at READ COMMITTED (`SELECT … FOR UPDATE` in the same transaction), where the second call waits instead of failing.',
          related: [
            { line: 6, message: "value read here" },
            { line: 5, message: "SERIALIZABLE transaction opened here, not retried" },
          ],
          suggestions: [],
        },
      ],
    },
    {
      name: "pg: REPEATABLE READ through the runtime helper with retry: false",
      code: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";
export async function debit(pool: Pool, id: string, amount: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
  }, { isolation: "repeatable read", retry: false });
}`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "unretried",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 5, isolation: "REPEATABLE READ" },
          related: [{ line: 5 }, { line: 4, message: "REPEATABLE READ transaction opened here, not retried" }],
        },
      ],
    },
    {
      name: "Prisma and Sequelize: SERIALIZABLE callbacks with no retry around them",
      code: `import { Prisma, PrismaClient } from "@prisma/client";
import { Sequelize, Transaction } from "sequelize";
import { Account } from "./models";
const prisma = new PrismaClient();
export async function debit(id: number, amount: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const account = await tx.account.findUniqueOrThrow({ where: { id } });
    await tx.account.update({ where: { id }, data: { balance: account.balance - amount } });
  }, { isolationLevel: Prisma.TransactionIsolationLevel.Serializable });
}
export async function credit(sequelize: Sequelize, id: number, amount: number): Promise<void> {
  await sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.SERIALIZABLE }, async (t) => {
    const account = await Account.findByPk(id, { transaction: t });
    if (!account) throw new Error("not found");
    await account.update({ balance: account.balance + amount }, { transaction: t });
  });
}`,
      errors: [
        {
          line: 8,
          column: 11,
          messageId: "unretried",
          data: { write: "`tx.account.update(…)`", column: "`balance`", line: 7, isolation: "SERIALIZABLE" },
          help: "Retry the transaction with backoff (wrap the whole transaction in the runtime's `retry`) or lock the row at READ COMMITTED (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`), where the second call waits instead of failing.",
          related: [{ line: 7 }, { line: 6 }],
        },
        {
          line: 15,
          column: 11,
          messageId: "unretried",
          data: { write: "`account.update(…)`", column: "`balance`", line: 13, isolation: "SERIALIZABLE" },
          related: [{ line: 13 }, { line: 12 }],
        },
      ],
    },
    {
      name: "pg: atomic update whose check is not repeated in WHERE (oversell): the fix repeats it",
      code: `import { Pool } from "pg";

export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const { rows } = await pool.query("SELECT stock FROM inventory WHERE sku = $1", [sku]);
  if (rows[0].stock < quantity) throw new Error("out of stock");
  await pool.query("UPDATE inventory SET stock = stock - $1 WHERE sku = $2", [quantity, sku]);
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`UPDATE inventory SET stock = stock - $1`", column: "`stock`", line: 4 },
          message:
            "`UPDATE inventory SET stock = stock - $1` runs only because the check of `stock` read at line 4 passed, but nothing locks the row: two concurrent calls can both pass the check and both write, where run one after the other the second might have failed it.",
          help: "Lock the row (`SELECT … FOR UPDATE` in the same transaction) or repeat the check in the write's WHERE and check the affected-row count.",
          related: [{ line: 4, message: "value read here and checked at line 5" }],
        },
      ],
      output: `import { Pool } from "pg";

export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const { rows } = await pool.query("SELECT stock FROM inventory WHERE sku = $1", [sku]);
  if (rows[0].stock < quantity) throw new Error("out of stock");
  const updated = await pool.query("UPDATE inventory SET stock = stock - $1 WHERE sku = $2 AND stock >= $1", [quantity, sku]);
  if (updated.rowCount === 0) throw new Error("out of stock");
}
`,
    },
    {
      name: "pg: seat double booking (status checked, then set)",
      code: `import { Pool } from "pg";

export async function book(pool: Pool, seatId: string, userId: string): Promise<void> {
  const { rows: [seat] } = await pool.query("SELECT status FROM seats WHERE id = $1", [seatId]);
  if (seat.status !== "available") throw new Error("taken");
  await pool.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2", [userId, seatId]);
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`UPDATE seats SET status = 'booked', holder = $1`", column: "`status`", line: 4 },
        },
      ],
      output: `import { Pool } from "pg";

export async function book(pool: Pool, seatId: string, userId: string): Promise<void> {
  const { rows: [seat] } = await pool.query("SELECT status FROM seats WHERE id = $1", [seatId]);
  if (seat.status !== "available") throw new Error("taken");
  const updated = await pool.query("UPDATE seats SET status = 'booked', holder = $1 WHERE id = $2 AND status = $3", [userId, seatId, "available"]);
  if (updated.rowCount === 0) throw new Error("taken");
}
`,
    },
    {
      name: "mysql2 promise pool without the driver's types: no row-lock suggestion (the connection type is unknown), no optimistic one (`sku` is not known to be a key)",
      code: `import type { Pool } from "mysql2/promise";

export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const [rows] = await pool.query<any[]>("SELECT stock FROM inventory WHERE sku = ?", [sku]);
  const stock = rows[0].stock;
  if (stock < quantity) throw new Error("out of stock");
  await pool.execute("UPDATE inventory SET stock = ? WHERE sku = ?", [stock - quantity, sku]);
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE inventory SET stock = ?`", column: "`stock`", line: 4 },
          help: "Lock the row (`SELECT … FOR UPDATE` in the same transaction) or update atomically (`SET stock = stock - ?`).",
          suggestions: [],
        },
      ],
      output: `import type { Pool, ResultSetHeader } from "mysql2/promise";

export async function reserve(pool: Pool, sku: string, quantity: number): Promise<void> {
  const [rows] = await pool.query<any[]>("SELECT stock FROM inventory WHERE sku = ?", [sku]);
  const stock = rows[0].stock;
  if (stock < quantity) throw new Error("out of stock");
  const [updated] = await pool.execute<ResultSetHeader>("UPDATE inventory SET stock = stock - ? WHERE sku = ? AND stock >= ?", [quantity, sku, quantity]);
  if (updated.affectedRows === 0) throw new Error("out of stock");
}
`,
    },
    {
      name: "pg: col = f(col) that no atomic update expresses: row-lock and optimistic suggestions, no safe fix",
      code: `import { Pool } from "pg";

export async function recordScore(pool: Pool, playerId: string, points: number): Promise<void> {
  const { rows: [player] } = await pool.query("SELECT best FROM players WHERE id = $1", [playerId]);
  await pool.query("UPDATE players SET best = $1 WHERE id = $2", [Math.max(player.best, points), playerId]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE players SET best = $1`", column: "`best`", line: 4 },
          suggestions: [
            {
              title: "Lock the row: read with FOR UPDATE inside withPgTransaction",
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function recordScore(pool: Pool, playerId: string, points: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows: [player] } = await tx.query("SELECT best FROM players WHERE id = $1 FOR UPDATE", [playerId]);
    await tx.query("UPDATE players SET best = $1 WHERE id = $2", [Math.max(player.best, points), playerId]);
  });
}
`,
            },
            {
              title: "Optimistic update: write only if `best` is unchanged, retry with backoff on conflict",
              output: `import { Pool } from "pg";
import { assertAffected, retry } from "@locksmith/runtime";

export async function recordScore(pool: Pool, playerId: string, points: number): Promise<void> {
  await retry(async () => {
    const { rows: [player] } = await pool.query("SELECT best FROM players WHERE id = $1", [playerId]);
    const updated = await pool.query("UPDATE players SET best = $1 WHERE id = $2 AND best = $3", [Math.max(player.best, points), playerId, player.best]);
    assertAffected(updated.rowCount, "players row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      name: "mysql2 with the driver's types: FOR UPDATE in withMySqlTransaction, and a compare-and-set with ? placeholders",
      files: MYSQL2_PROMISE,
      code: `import type { Pool, RowDataPacket } from "mysql2/promise";

export async function rename(pool: Pool, id: number, suffix: string): Promise<void> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT title FROM docs WHERE id = ?", [id]);
  const title: string = rows[0]!["title"];
  await pool.execute("UPDATE docs SET title = ? WHERE id = ?", [title + suffix, id]);
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE docs SET title = ?`", column: "`title`", line: 4 },
          suggestions: [
            {
              title: "Lock the row: read with FOR UPDATE inside withMySqlTransaction",
              output: `import type { Pool, RowDataPacket } from "mysql2/promise";
import { withMySqlTransaction } from "@locksmith/runtime/mysql";

export async function rename(pool: Pool, id: number, suffix: string): Promise<void> {
  await withMySqlTransaction(pool, async (tx) => {
    const [rows] = await tx.query<RowDataPacket[]>("SELECT title FROM docs WHERE id = ? FOR UPDATE", [id]);
    const title: string = rows[0]!["title"];
    await tx.execute("UPDATE docs SET title = ? WHERE id = ?", [title + suffix, id]);
  });
}
`,
            },
            {
              title: "Optimistic update: write only if `title` is unchanged, retry with backoff on conflict",
              output: `import type { Pool, RowDataPacket, ResultSetHeader } from "mysql2/promise";
import { assertAffected, retry } from "@locksmith/runtime";

export async function rename(pool: Pool, id: number, suffix: string): Promise<void> {
  await retry(async () => {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT title FROM docs WHERE id = ?", [id]);
    const title: string = rows[0]!["title"];
    const [updated] = await pool.execute<ResultSetHeader>("UPDATE docs SET title = ? WHERE id = ? AND title = ?", [title + suffix, id, title]);
    assertAffected(updated.affectedRows, "docs row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
`,
            },
          ],
        },
      ],
      output: null,
    },
    {
      name: "mysql2: a Connection (no getConnection) gets no row-lock suggestion",
      files: MYSQL2_PROMISE,
      code: `import type { Connection, RowDataPacket } from "mysql2/promise";

export async function rename(conn: Connection, id: number, suffix: string): Promise<void> {
  const [rows] = await conn.query<RowDataPacket[]>("SELECT title, owner FROM docs WHERE id = ?", [id]);
  await conn.execute("UPDATE docs SET title = ? WHERE id = ?", [rows[0]!["title"] + rows[0]!["owner"] + suffix, id]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE docs SET title = ?`", column: "`title`", line: 4 },
          suggestions: [],
        },
      ],
    },
    {
      name: "pg: no optimistic suggestion when the write also uses another column of the read",
      code: `import { Pool } from "pg";

export async function accrue(pool: Pool, id: string): Promise<void> {
  const { rows: [account] } = await pool.query("SELECT balance, rate FROM accounts WHERE id = $1", [id]);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [Math.round(account.balance * account.rate), id]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
          suggestions: [
            {
              title: /^Lock the row/,
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function accrue(pool: Pool, id: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows: [account] } = await tx.query("SELECT balance, rate FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [Math.round(account.balance * account.rate), id]);
  });
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "pg: the write uses several columns, the read selects a version counter: compare-and-set on the version, bumped",
      code: `import { Pool } from "pg";

export async function accrue(pool: Pool, id: string): Promise<void> {
  const { rows: [account] } = await pool.query("SELECT balance, rate, version FROM accounts WHERE id = $1", [id]);
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [Math.round(account.balance * account.rate), id]);
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
          suggestions: [
            {
              title: /^Lock the row/,
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function accrue(pool: Pool, id: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows: [account] } = await tx.query("SELECT balance, rate, version FROM accounts WHERE id = $1 FOR UPDATE", [id]);
    await tx.query("UPDATE accounts SET balance = $1 WHERE id = $2", [Math.round(account.balance * account.rate), id]);
  });
}
`,
            },
            {
              title: "Optimistic update: write only if `version` is unchanged (and bump it), retry with backoff on conflict",
              output: `import { Pool } from "pg";
import { assertAffected, retry } from "@locksmith/runtime";

export async function accrue(pool: Pool, id: string): Promise<void> {
  await retry(async () => {
    const { rows: [account] } = await pool.query("SELECT balance, rate, version FROM accounts WHERE id = $1", [id]);
    const updated = await pool.query("UPDATE accounts SET balance = $1, version = version + 1 WHERE id = $2 AND version = $3", [Math.round(account.balance * account.rate), id, account.version]);
    assertAffected(updated.rowCount, "accounts row");
  }, { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 1000 });
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "pg: no optimistic suggestion when the value read is a Date (a JS Date loses the microseconds it would be compared with)",
      code: `import { Pool } from "pg";

export async function extend(pool: Pool, id: string, ms: number): Promise<void> {
  const { rows } = await pool.query("SELECT expires_at FROM leases WHERE id = $1", [id]);
  const expiresAt: Date = rows[0].expires_at;
  await pool.query("UPDATE leases SET expires_at = $1 WHERE id = $2", [new Date(expiresAt.getTime() + ms), id]);
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE leases SET expires_at = $1`", column: "`expires_at`", line: 4 },
          suggestions: [
            {
              title: /^Lock the row/,
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function extend(pool: Pool, id: string, ms: number): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT expires_at FROM leases WHERE id = $1 FOR UPDATE", [id]);
    const expiresAt: Date = rows[0].expires_at;
    await tx.query("UPDATE leases SET expires_at = $1 WHERE id = $2", [new Date(expiresAt.getTime() + ms), id]);
  });
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "pg: no optimistic suggestion when the variable holding the value read is reassigned",
      code: `import { Pool } from "pg";

export async function double(pool: Pool, id: string): Promise<void> {
  const { rows } = await pool.query("SELECT hits FROM pages WHERE id = $1", [id]);
  let hits: number = rows[0].hits;
  hits = hits * 2;
  await pool.query("UPDATE pages SET hits = $1 WHERE id = $2", [hits, id]);
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE pages SET hits = $1`", column: "`hits`", line: 4 },
          suggestions: [
            {
              title: /^Lock the row/,
              output: `import { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function double(pool: Pool, id: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT hits FROM pages WHERE id = $1 FOR UPDATE", [id]);
    let hits: number = rows[0].hits;
    hits = hits * 2;
    await tx.query("UPDATE pages SET hits = $1 WHERE id = $2", [hits, id]);
  });
}
`,
            },
          ],
        },
      ],
    },
    {
      name: "pg: no suggestion when something else is awaited between the read and the write (a retry would repeat it, a row lock would be held across it)",
      code: `import { Pool } from "pg";

export async function scale(pool: Pool, id: string, factor: number): Promise<void> {
  const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
  await fetch("https://audit.example/scale");
  await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance * factor, id]);
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = $1`", column: "`balance`", line: 4 },
          suggestions: [],
        },
      ],
    },
    {
      name: "better-sqlite3: prepare().get() then prepare().run()",
      code: `import Database from "better-sqlite3";
const db = new Database("app.db");

export function credit(id: number, amount: number): void {
  const row = db.prepare("SELECT balance FROM accounts WHERE id = ?").get(id) as { balance: number };
  db.prepare("UPDATE accounts SET balance = ? WHERE id = ?").run(row.balance + amount, id);
}
`,
      errors: [
        {
          line: 6,
          column: 3,
          messageId: "lostUpdate",
          data: { write: "`UPDATE accounts SET balance = ?`", column: "`balance`", line: 5 },
          help: "Lock the row (`BEGIN IMMEDIATE` around the read and the write) or update atomically (`SET balance = balance + ?`).",
        },
      ],
    },
    {
      name: "knex: first() then update() with the computed balance",
      code: `import type { Knex } from "knex";

export async function debit(knex: Knex, id: number, amount: number): Promise<void> {
  const account = await knex("accounts").where({ id }).first();
  if (account.balance < amount) throw new Error("insufficient funds");
  await knex("accounts").where({ id }).update({ balance: account.balance - amount });
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: '`knex("accounts").where({id}).update(…)`', column: "`balance`", line: 4 },
          help: 'Lock the row (`.forUpdate()` on the read inside `knex.transaction`) or update atomically (`.decrement("balance", n)`).',
        },
      ],
      output: `import type { Knex } from "knex";

export async function debit(knex: Knex, id: number, amount: number): Promise<void> {
  const account = await knex("accounts").where({ id }).first();
  if (account.balance < amount) throw new Error("insufficient funds");
  const updated = await knex("accounts").where({ id }).andWhere("balance", ">=", amount).decrement("balance", amount);
  if (updated === 0) throw new Error("insufficient funds");
}
`,
    },
    {
      name: "knex: transaction without forUpdate",
      code: `import type { Knex } from "knex";

export async function credit(knex: Knex, id: number, amount: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const account = await trx("accounts").where({ id }).first();
    await trx("accounts").where({ id }).update({ balance: account.balance + amount });
  });
}
`,
      errors: [
        {
          line: 6,
          column: 11,
          messageId: "lostUpdate",
          data: { write: '`trx("accounts").where({id}).update(…)`', column: "`balance`", line: 5 },
        },
      ],
      output: `import type { Knex } from "knex";

export async function credit(knex: Knex, id: number, amount: number): Promise<void> {
  await knex.transaction(async (trx) => {
    const account = await trx("accounts").where({ id }).first();
    await trx("accounts").where({ id }).increment("balance", amount);
  });
}
`,
    },
    {
      name: "Prisma: findUniqueOrThrow then update with account.balance + amount",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function credit(id: number, amount: number): Promise<void> {
  const account = await prisma.account.findUniqueOrThrow({ where: { id } });
  await prisma.account.update({ where: { id }, data: { balance: account.balance + amount } });
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.account.update(…)`", column: "`balance`", line: 5 },
          help: "Lock the row (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or update atomically (`data: { balance: { increment: n } }`).",
        },
      ],
      output: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function credit(id: number, amount: number): Promise<void> {
  const account = await prisma.account.findUniqueOrThrow({ where: { id } });
  await prisma.account.update({ where: { id }, data: { balance: { increment: amount } } });
}
`,
    },
    {
      name: "Prisma: destructured read, checked, then update (becomes updateMany with the guard)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function debit(id: number, amount: number): Promise<void> {
  const { balance } = await prisma.account.findUniqueOrThrow({ where: { id } });
  if (balance < amount) throw new Error("insufficient funds");
  await prisma.account.update({ where: { id }, data: { balance: balance - amount } });
}
`,
      errors: [
        { line: 7, column: 9, messageId: "lostUpdate", data: { write: "`prisma.account.update(…)`", column: "`balance`", line: 5 } },
      ],
      output: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function debit(id: number, amount: number): Promise<void> {
  const { balance } = await prisma.account.findUniqueOrThrow({ where: { id } });
  if (balance < amount) throw new Error("insufficient funds");
  const updated = await prisma.account.updateMany({ where: { id, balance: { gte: amount } }, data: { balance: { decrement: amount } } });
  if (updated.count === 0) throw new Error("insufficient funds");
}
`,
    },
    {
      name: "Prisma: object spread of the read row; no safe fix",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function debit(id: number, amount: number): Promise<void> {
  const account = await prisma.account.findFirst({ where: { id } });
  if (!account) return;
  await prisma.account.update({ where: { id }, data: { ...account, balance: account.balance - amount } });
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.account.update(…)`", column: "the row", line: 5 },
          message:
            "`prisma.account.update(…)` writes a value computed from the row read at line 5 without a row lock: two concurrent calls both read the same value, both write their result, and one update is lost.",
          help: "Lock the row (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or write only if the row is unchanged (the value read, or a version column, in the write's WHERE; retry on a conflict).",
        },
      ],
    },
    {
      name: "Prisma: interactive $transaction without a lock",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function debit(id: number, amount: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const account = await tx.account.findUniqueOrThrow({ where: { id } });
    await tx.account.update({ where: { id }, data: { balance: account.balance - amount } });
  });
}
`,
      errors: [{ line: 7, column: 11, messageId: "lostUpdate", data: { write: "`tx.account.update(…)`", column: "`balance`", line: 6 } }],
      output: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function debit(id: number, amount: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const account = await tx.account.findUniqueOrThrow({ where: { id } });
    await tx.account.update({ where: { id }, data: { balance: { decrement: amount } } });
  });
}
`,
    },
    {
      name: "TypeORM: findOneBy, mutate the entity, save",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";

export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  const repo = dataSource.getRepository(Account);
  const account = await repo.findOneBy({ id });
  if (!account) throw new Error("not found");
  account.balance -= amount;
  await repo.save(account);
}
`,
      errors: [
        {
          line: 9,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`repo.save(…)`", column: "`balance`", line: 6 },
          help: 'Lock the row (`lock: { mode: "pessimistic_write" }` inside a transaction) or update atomically (`.decrement("balance", n)`).',
          related: [{ line: 6, message: "value read here" }],
        },
      ],
    },
    {
      name: "TypeORM: findOne then repository update with the computed value",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";

export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  const account = await dataSource.manager.findOneOrFail(Account, { where: { id } });
  await dataSource.getRepository(Account).update({ id }, { balance: account.balance - amount });
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`dataSource.getRepository(Account).update(…)`", column: "`balance`", line: 5 },
        },
      ],
    },
    {
      name: "TypeORM: query builder read without a lock, then a query builder update with the computed value",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";

export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const account = await manager.createQueryBuilder(Account, "a").where("a.id = :id", { id }).getOneOrFail();
    await manager.createQueryBuilder().update(Account).set({ balance: account.balance - amount }).where("id = :id", { id }).execute();
  });
}
`,
      errors: [
        {
          line: 7,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`manager.createQueryBuilder()…update(…)`", column: "`balance`", line: 6 },
          help: 'Lock the row (`lock: { mode: "pessimistic_write" }` inside a transaction) or update atomically (`.decrement("balance", n)`).',
          related: [{ line: 6 }],
        },
      ],
    },
    {
      name: "TypeORM: setLock outside a transaction does not protect",
      code: `import { DataSource } from "typeorm";
import { Account } from "./account";

export async function debit(dataSource: DataSource, id: number, amount: number): Promise<void> {
  const account = await dataSource.getRepository(Account).createQueryBuilder("a").setLock("pessimistic_write").where("a.id = :id", { id }).getOneOrFail();
  account.balance -= amount;
  await dataSource.getRepository(Account).save(account);
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdateDespiteLock",
          data: {
            write: "`dataSource.getRepository(Account).save(…)`",
            column: "`balance`",
            line: 5,
            lock: "`FOR UPDATE`",
            why: "outside a transaction the lock is released when that statement ends",
          },
        },
      ],
    },
    {
      name: "Sequelize: findByPk, check, assign, save",
      code: `import { Account } from "./models";
import type { Transaction } from "sequelize";

export async function debit(id: number, amount: number): Promise<void> {
  const account = await Account.findByPk(id);
  if (!account) throw new Error("not found");
  if (account.balance < amount) throw new Error("insufficient funds");
  account.balance = account.balance - amount;
  await account.save();
}
`,
      errors: [
        {
          line: 9,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`account.save(…)`", column: "`balance`", line: 5 },
          help: 'Lock the row (`lock: t.LOCK.UPDATE` with `transaction: t`) or update atomically (`.decrement("balance", n)`).',
        },
      ],
    },
    {
      name: "Sequelize: managed transaction without a lock",
      code: `import { Sequelize } from "sequelize";
import { Account } from "./models";

export async function debit(sequelize: Sequelize, id: number, amount: number): Promise<void> {
  await sequelize.transaction(async (t) => {
    const account = await Account.findByPk(id, { transaction: t });
    if (!account) throw new Error("not found");
    await account.update({ balance: account.balance - amount }, { transaction: t });
  });
}
`,
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`account.update(…)`", column: "`balance`", line: 6 } }],
    },
    {
      name: "Drizzle: select then update().set() with the computed balance",
      code: `import { eq } from "drizzle-orm";
import { db } from "./db";
import { accounts } from "./schema";

export async function debit(id: number, amount: number): Promise<void> {
  const [account] = await db.select().from(accounts).where(eq(accounts.id, id));
  if (account.balance < amount) throw new Error("insufficient funds");
  await db.update(accounts).set({ balance: account.balance - amount }).where(eq(accounts.id, id));
}
`,
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`db.update(accounts)…set(…)`", column: "`balance`", line: 6 },
          help: 'Lock the row (`.for("update")` on the read inside `db.transaction`) or update atomically (`set({ balance: sql\\`${table.balance} - ${n}\\` })`).',
        },
      ],
    },
    {
      name: "Kysely: selectFrom then updateTable with the computed balance",
      code: `import { Kysely } from "kysely";

export async function debit(db: Kysely<any>, id: number, amount: number): Promise<void> {
  const account = await db.selectFrom("accounts").select(["balance"]).where("id", "=", id).executeTakeFirstOrThrow();
  await db.updateTable("accounts").set({ balance: account.balance - amount }).where("id", "=", id).execute();
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "lostUpdate",
          data: { write: '`db.updateTable("accounts")…set(…)`', column: "`balance`", line: 4 },
          help: 'Lock the row (`.forUpdate()` on the read inside `db.transaction()`) or update atomically (`set((eb) => ({ balance: eb("balance", "-", n) }))`).',
        },
      ],
    },
    {
      name: "Redis: GET then SET of a computed value",
      code: `import Redis from "ioredis";
const redis = new Redis();

export async function hit(key: string): Promise<void> {
  const current = Number(await redis.get(key));
  await redis.set(key, String(current + 1));
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "redisLostUpdate",
          data: { write: "`redis.set(…)`", key: "`key`", line: 5 },
          help: "Update atomically (`INCRBY`) or use `WATCH`/`MULTI` or a Lua script.",
        },
      ],
    },
    {
      name: "Prisma: a string rebuilt from the read through a client chosen per call: no atomic-update advice, the receiver's arguments elided",
      code: `import { PrismaClient } from "@prisma/client";
export class Accounts {
  constructor(private readonly clients: Map<string, PrismaClient>) {}
  private clientFor(tenant: { id: string; region: string }): PrismaClient {
    return this.clients.get(tenant.region)!;
  }
  async rename(tenant: { id: string; region: string }, id: string, suffix: string) {
    const account = await this.clientFor({ id: tenant.id, region: tenant.region }).account.findUniqueOrThrow({ where: { id } });
    await this.clientFor({ id: tenant.id, region: tenant.region }).account.update({ where: { id }, data: { name: \`\${account.name} \${suffix}\` } });
  }
}
`,
      errors: [
        {
          line: 9,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`this.clientFor(…).account.update(…)`", column: "`name`", line: 8 },
          help: "Lock the row (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or write only if the row is unchanged (the value read, or a version column, in the write's WHERE; retry on a conflict).",
        },
      ],
    },
    {
      name: "Prisma: a JSON blob merged with the read in a READ COMMITTED transaction: no atomic-update advice",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function relabel(boardId: string, label: string) {
  return prisma.$transaction(async (tx) => {
    const board = await tx.board.findFirstOrThrow({ where: { id: boardId } });
    return tx.board.update({ where: { id: boardId }, data: { meta: { ...(board.meta as object), label } } });
  });
}
`,
      files: BOARD_META_WRITER,
      errors: [
        {
          line: 7,
          column: 12,
          ...META_ALSO_WRITTEN("`tx.board.update(…)`", 6),
          help: "Lock the row (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or write only if the row is unchanged (the value read, or a version column, in the write's WHERE; retry on a conflict).",
        },
      ],
    },
    {
      name: "Prisma: a date extended from the read: no atomic-update advice",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const DAY = 86_400_000;

export async function extend(subscriptionId: string, days: number) {
  const sub = await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } });
  await prisma.subscription.update({
    where: { id: subscriptionId },
    data: { expiresAt: new Date(sub.expiresAt.getTime() + days * DAY) },
  });
}
`,
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.subscription.update(…)`", column: "`expiresAt`", line: 6 },
          help: "Lock the row (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or write only if the row is unchanged (the value read, or a version column, in the write's WHERE; retry on a conflict).",
        },
      ],
    },
    {
      name: "Sequelize: no lock-only query before the read (the row is read and written unlocked)",
      code: reserveStock("// no lock"),
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`stock.update(…)`", column: "`reserved`", line: 6 } }],
    },
    {
      name: "Sequelize: the lock-only query forgets the transaction, so its lock ends with that statement",
      code: reserveStock('await Stock.unscoped().findOne({ where: { sku }, attributes: ["sku"], lock: true });'),
      errors: [{ line: 8, column: 11, messageId: "lostUpdate", data: { write: "`stock.update(…)`", column: "`reserved`", line: 6 } }],
    },
    {
      name: "Prisma: a flag toggled from its value read (two toggles, one lost)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function togglePin(noteId: string) {
  const note = await prisma.note.findUniqueOrThrow({ where: { id: noteId } });
  await prisma.note.update({ where: { id: noteId }, data: { pinned: note.pinned ? false : true } });
}
`,
      errors: [
        { line: 6, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.note.update(…)`", column: "`pinned`", line: 5 } },
      ],
    },
    {
      name: "Prisma: a seat held by the caller's id when it was free (each caller writes its own id: double booking)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function holdSeat(seatId: string, userId: string) {
  const seat = await prisma.seat.findUniqueOrThrow({ where: { id: seatId } });
  if (seat.heldBy) throw new Error("taken");
  await prisma.seat.update({ where: { id: seatId }, data: { heldBy: userId } });
}
`,
      errors: [
        { line: 7, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.seat.update(…)`", column: "`heldBy`", line: 5 } },
      ],
    },
    {
      name: "Prisma: an assignee kept when set, else the caller's agent (`??` with a value each caller computes differently)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function claim(ticketId: string, agentId: string) {
  const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
  await prisma.ticket.update({ where: { id: ticketId }, data: { assigneeId: ticket.assigneeId ?? agentId } });
}
`,
      errors: [
        { line: 6, column: 9, messageId: "lostUpdate", data: { write: "`prisma.ticket.update(…)`", column: "`assigneeId`", line: 5 } },
      ],
    },
    {
      name: "Prisma: a create whose version is the read one plus one (concurrent creates get the same number)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function saveRevision(documentId: string, body: string) {
  const latest = await prisma.revision.findFirstOrThrow({ where: { documentId }, orderBy: { version: "desc" } });
  return prisma.revision.create({ data: { documentId, body, version: latest.version + 1 } });
}
`,
      errors: [
        {
          line: 6,
          column: 10,
          messageId: "insertFromRead",
          data: { write: "`prisma.revision.create(…)`", column: "`version`", line: 5 },
          help: "Lock the rows read (`SELECT … FOR UPDATE` through `tx.$queryRaw` inside an interactive `$transaction`) or make the column unique and retry on a duplicate-key error.",
        },
      ],
    },
    {
      name: "Prisma: check-then-insert with no unique-index handling (two callers both pass the check)",
      code: reserveName("return prisma.reservation.create({ data: { name, ownerId } });"),
      errors: [
        {
          line: 8,
          column: 10,
          messageId: "checkThenWrite",
          data: { write: "`prisma.reservation.create(…)`", column: "`ownerId`", line: 5 },
        },
      ],
    },
    {
      name: "Prisma: check-then-insert whose catch only logs and rethrows (no duplicate-key test)",
      code: reserveName(`try {
    return await prisma.reservation.create({ data: { name, ownerId } });
  } catch (error) {
    console.error("reserve failed", error);
    throw error;
  }`),
      errors: [
        {
          line: 9,
          column: 18,
          messageId: "checkThenWrite",
          data: { write: "`prisma.reservation.create(…)`", column: "`ownerId`", line: 5 },
        },
      ],
    },
    {
      name: "Prisma: SERIALIZABLE asked through a project wrapper's options, nothing retrying: only the missing retry is reported",
      code: renameThroughWrapper("return prisma.$transaction(work, options);", '{ isolationLevel: "Serializable" }'),
      errors: [
        {
          line: 11,
          column: 12,
          messageId: "unretried",
          data: { write: "`tx.board.update(…)`", column: "`meta`", line: 10, isolation: "SERIALIZABLE" },
          related: [
            { line: 10, message: "value read here" },
            { line: 9, message: "SERIALIZABLE transaction opened here, not retried" },
          ],
        },
      ],
    },
    {
      name: "Prisma: the wrapper maps its own option onto isolationLevel; SERIALIZABLE asked, nothing retrying",
      code: renameThroughWrapper(
        "return prisma.$transaction((tx) => work(tx), { isolationLevel: options?.isolationLevel, timeout: 5000 });",
        '{ isolationLevel: "Serializable" }',
      ),
      errors: [
        {
          line: 11,
          column: 12,
          messageId: "unretried",
          data: { write: "`tx.board.update(…)`", column: "`meta`", line: 10, isolation: "SERIALIZABLE" },
        },
      ],
    },
    {
      name: "Prisma: the same wrapper called without an isolation level (READ COMMITTED): the lost update is reported",
      code: renameThroughWrapper("return prisma.$transaction(work, options);", "{}"),
      files: BOARD_META_WRITER,
      errors: [{ line: 11, column: 12, ...META_ALSO_WRITTEN("`tx.board.update(…)`", 10) }],
    },
  ],
});
