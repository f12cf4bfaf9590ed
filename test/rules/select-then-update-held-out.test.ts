// select-then-update: shapes judged false in the session-11 held-out check (issue #15), each as a rule a reviewer
// states in one sentence, each next to a look-alike that stays reported.
// - A field of a loaded entity set to a value whose only parts read from rows are row ids (this row's own id, the id of
//   another row read) is not computed from anything an update changes: saving it loses nothing. A field computed from
//   the column itself, or from another row's changeable column, stays reported.
// - A project helper that sends BEGIN on the connection it is given (`await beginOn(client)`, in this file or another
//   module, directly or through another helper) opens a transaction on the caller's connection: a `FOR UPDATE` read
//   there holds until a COMMIT, or a helper sending it. The helper called on another connection, or a read after a
//   helper committed, stays reported.
// - A transaction-scoped advisory lock (`pg_advisory_xact_lock`) taken on the transaction before the read, by its own
//   code or by a project helper given the transaction, on every path, serialises every caller that takes it until
//   COMMIT. The helper given the client instead of the transaction (the lock ends with its statement), or called on one
//   branch only, stays reported.
// - A set-once column (`joinedAt: member.joinedAt ?? now`) beside constants, where `now` is a `const` holding the clock
//   (`const now = new Date()`, used elsewhere too), is the clock as `new Date()` in place is: every caller writes an
//   equivalent value. A `const` holding the request's own date, used elsewhere, stays reported.
// - A row this call has just inserted, read back by the primary key its insert returned, is known to no concurrent
//   call: writing it back loses nothing. The same write to a row read by a key the caller passes stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A device retired by an operator on TypeORM; `serial` is the new serial written. */
const retireDevice = (serial: string) => `import { DataSource } from "typeorm";
import { Device } from "./device.entity";

export async function retireDevice(source: DataSource, deviceId: string, operatorId: string) {
  const devices = source.getRepository(Device);
  const device = await devices.findOneBy({ id: deviceId });
  if (!device) throw new Error("no such device");
  device.serial = ${serial};
  device.state = "retired";
  device.retiredBy = operatorId;
  await devices.save(device);
}`;

/** Two Sequelize rows of a pair found together, the first linked to the second; `link` is the value linked. */
const pairTickets = (link: string) => `import { Model } from "sequelize";
export class Ticket extends Model {
  declare id: number;
  declare batch: string;
  declare pairedWithId: number | null;
  declare isReturn: boolean;
}

export async function pairTickets(batch: string) {
  const tickets = await Ticket.findAll({ where: { batch } });
  const outbound = tickets.find((t) => !t.isReturn);
  const inbound = tickets.find((t) => t.isReturn);
  if (outbound && inbound) {
    outbound.pairedWithId = ${link};
    await outbound.save();
  }
}`;

/** Seats taken on a pooled pg client; `open` opens the transaction, `beforeRead` runs just before the locking read. */
const takeSeats = (open: string, beforeRead = "") => `import { Pool, PoolClient } from "pg";
import { finish } from "./tx-helpers";

async function beginOn(conn: PoolClient) {
  await conn.query("BEGIN");
}

export async function takeSeats(pool: Pool, showId: string, count: number) {
  const client = await pool.connect();
  const other = await pool.connect();
  ${open}
  try {
    ${beforeRead}
    const r = await client.query("SELECT free FROM shows WHERE id = $1 FOR UPDATE", [showId]);
    await client.query("UPDATE shows SET free = $2 WHERE id = $1", [showId, r.rows[0].free - count]);
    await finish(client);
  } finally {
    client.release();
    other.release();
  }
}`;

/** The atomic update the fix writes in `takeSeats`. */
const atomic = (code: string) =>
  code.replace('SET free = $2 WHERE id = $1", [showId, r.rows[0].free - count]', 'SET free = free - $2 WHERE id = $1", [showId, count]');

/** Another module's helpers: one opening through a second helper, one committing. */
const TX_HELPERS = {
  "src/tx-helpers.ts": `import type { PoolClient } from "pg";
async function send(conn: PoolClient, command: string) {
  await conn.query(command);
}
export async function start(conn: PoolClient) {
  await conn.query("SET statement_timeout = 5000");
  await conn.query("BEGIN");
}
export async function startVia(conn: PoolClient) {
  await start(conn);
}
export async function finish(conn: PoolClient) {
  await send(conn, "SELECT 1");
  await conn.query("COMMIT");
}`,
};

/** A book shelved inside a Prisma transaction; `lock` runs first in it. */
const shelveBook = (lock: string) => `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

async function holdShelf(db: Prisma.TransactionClient, shelfId: string) {
  await db.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${shelfId}))\`;
}

export async function shelveBook(shelfId: string, strict: boolean) {
  await prisma.$transaction(async (tx) => {
    ${lock}
    const shelf = await tx.shelf.findUnique({ where: { id: shelfId } });
    if (!shelf) throw new Error("no such shelf");
    await tx.shelf.update({ where: { id: shelfId }, data: { books: shelf.books + 1 } });
  });
}`;

/** A member re-activated in a team; `stamp` is the const the join time comes from. */
const reactivate = (stamp: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function reactivate(teamId: string, userId: string, actorId: string, requestedAt: string) {
  const now = ${stamp};
  const member = await prisma.teamMember.findFirst({ where: { teamId, userId } });
  if (!member) {
    await prisma.teamMember.create({ data: { teamId, userId, joinedAt: now, addedBy: actorId } });
    return;
  }
  await prisma.teamMember.update({
    where: { id: member.id },
    data: { status: "active", joinedAt: member.joinedAt ?? now, addedBy: actorId, touchedAt: now },
  });
}`;

/** A Sequelize workspace created, then read back and flagged; `key` is what the read looks it up by. */
const openWorkspace = (key: string) => `import { Model } from "sequelize";
export class Workspace extends Model {
  declare id: number;
  declare settings: Record<string, unknown>;
}

export async function openWorkspace(name: string, templateId: number) {
  const made = await Workspace.create({ settings: { name } });
  const space = await Workspace.findByPk(${key});
  if (space) {
    await space.update({ settings: { ...space.settings, needsOnboarding: true } });
  }
  return made;
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a retired device's serial built from its own id and the clock, beside constants and the operator",
      code: retireDevice("`retired-${device.id}-${Date.now()}`"),
    },
    {
      name: "a ticket linked to the id of the other ticket of its pair",
      code: pairTickets("inbound.id"),
    },
    {
      name: "the read locks the row after a local helper sent BEGIN on the same client",
      code: takeSeats("await beginOn(client);"),
      files: TX_HELPERS,
    },
    {
      name: "the read locks the row after another module's helper, through a second helper, sent BEGIN on the client",
      code: takeSeats("await startVia(client);").replace(
        'import { finish } from "./tx-helpers";',
        'import { finish, startVia } from "./tx-helpers";',
      ),
      files: TX_HELPERS,
    },
    {
      name: "a helper given the transaction takes a transaction-scoped advisory lock before the read",
      code: shelveBook("await holdShelf(tx, shelfId);"),
    },
    {
      name: "the transaction takes the advisory lock itself before the read",
      code: shelveBook("await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${shelfId}))`;"),
    },
    {
      name: "a join time set only while empty, from a const holding the clock, beside constants",
      code: reactivate("new Date()"),
    },
    {
      name: "a workspace this call created, read back by the id its insert returned, then flagged",
      code: openWorkspace("made.id"),
    },
  ],
  invalid: [
    {
      name: "the same retirement, the serial computed from the serial read: a concurrent rename is undone",
      code: retireDevice("`${device.serial}-retired`"),
      errors: [
        {
          line: 11,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`devices.save(…)`", column: "`serial`", line: 6 },
        },
      ],
    },
    {
      name: "the same pairing, the link copied from the other ticket's link, which a concurrent pairing changes",
      code: pairTickets("inbound.pairedWithId"),
      errors: [
        {
          line: 15,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`outbound.save(…)`", column: "`pairedWithId`", line: 10 },
        },
      ],
    },
    {
      name: "the helper sends BEGIN on another client: the lock on this one ends with its statement",
      code: takeSeats("await beginOn(other);"),
      files: TX_HELPERS,
      errors: [{ line: 15, column: 11, messageId: "lostUpdateDespiteLock" }],
      output: atomic(takeSeats("await beginOn(other);")),
    },
    {
      name: "a helper committed the transaction before the read: the lock ends with its statement",
      code: takeSeats("await beginOn(client);", "await finish(client);"),
      files: TX_HELPERS,
      errors: [{ line: 15, column: 11, messageId: "lostUpdateDespiteLock" }],
      output: atomic(takeSeats("await beginOn(client);", "await finish(client);")),
    },
    {
      name: "the helper is given the client, not the transaction: the lock ends with its own statement",
      code: shelveBook("await holdShelf(prisma, shelfId);"),
      errors: [{ line: 13, column: 11, messageId: "lostUpdate" }],
      output: shelveBook("await holdShelf(prisma, shelfId);").replace("books: shelf.books + 1", "books: { increment: 1 }"),
    },
    {
      name: "the advisory lock is taken on one branch only: the other path reads unlocked",
      code: shelveBook("if (strict) await holdShelf(tx, shelfId);"),
      errors: [{ line: 13, column: 11, messageId: "lostUpdate" }],
      output: shelveBook("if (strict) await holdShelf(tx, shelfId);").replace("books: shelf.books + 1", "books: { increment: 1 }"),
    },
    {
      name: "the same join time from a const holding the request's date: two callers with different dates, the last one wins",
      code: reactivate("new Date(requestedAt)"),
      errors: [{ line: 11, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the same flag written to a workspace read by the id the caller passes: a concurrent settings change is lost",
      code: openWorkspace("templateId"),
      errors: [{ line: 11, column: 11, messageId: "lostUpdate" }],
    },
  ],
});
