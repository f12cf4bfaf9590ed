// Session 19's held-out recall set (bench/recall b146–b161), written afresh in the shapes of the misses fixed:
// - write-skew: a set read with no filter is the whole table. `(await db.select().from(accounts)).length >= limit` and
//   `Member.countDocuments() >= ceiling` before an insert are caps like any filtered count; an emptiness test of the
//   whole table before an insert (seeding defaults) stays a uniqueness check, left alone without a declared schema.
// - write-skew: Sequelize models and migrations say what a table's unique indexes are (`unique: true`, a shared
//   `unique: "name"`, `indexes: [{ unique: true, fields }]`, `addIndex(…, { unique: true })`, the `id` Sequelize adds),
//   so a duplicate check over columns no unique index covers is reported, a helper's count included; a where value
//   that is an operator object (`{ [Op.gte]: since }`) compares and pins nothing.
// - select-then-update: of the early exits before a write, the one on a column the write changes decides it
//   (`if (a.tries >= MAX) return; if (a.gaveUp) return; … tries: { increment: 1 }`); a check only of columns the write
//   leaves alone stays silent, and an `if` around the write still decides it (a status refreshed from its source inside
//   `if (run.status !== "completed") { if (!run.remoteId) … else … }` stays as it was: the nearest `if` decides).
// - retry-without-backoff: a catch that asks a method of its own class (`if (!this.isRetryable(err)) break`) tests for
//   what the method tests.
import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const drizzleAccounts = (body: string) => `import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, serial, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";

const seats = pgTable("seats", { id: serial("id").primaryKey(), holder: text("holder").notNull() });
const db = drizzle(new Pool());

export async function claimSeat(holder: string, limit: number) {
${body}
}
`;

const mongooseMembers = (body: string) => `import { Schema, model } from "mongoose";

const Member = model("Member", new Schema({ email: String, name: String }));

export async function join(email: string, name: string, ceiling: number) {
${body}
}
`;

const sequelizeLikes = (attributes: string, options: string, body: string) => `import { DataTypes, Op, Sequelize } from "sequelize";

const sequelize = new Sequelize(process.env.DATABASE_URL!);
const Like = sequelize.define("like", ${attributes}${options});

export async function like(postId: number, userId: number, since: Date) {
${body}
}
`;

const plainLikes = "{ postId: DataTypes.INTEGER, userId: DataTypes.INTEGER }";
const countThenCreate = `  const n = await Like.count({ where: { postId, userId, createdAt: { [Op.gte]: since } } });
  if (n === 0) return Like.create({ postId, userId });
  return null;`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "Drizzle: the whole table read, and an insert only when it is empty (seeding, a uniqueness check)",
      code: drizzleAccounts(`  const rows = await db.select().from(seats);
  if (rows.length === 0) await db.insert(seats).values({ holder });`),
    },
    {
      name: "Drizzle: the whole table read for its rows, not only their number",
      code: drizzleAccounts(`  const rows = await db.select().from(seats);
  if (rows.length > limit) console.warn("over", rows.map((r) => r.holder));
  await db.insert(seats).values({ holder });`),
    },
    {
      name: "Mongoose: countDocuments() === 0 before creating the first member (seeding)",
      code: mongooseMembers(`  if ((await Member.countDocuments()) === 0) await Member.create({ email, name });`),
    },
    {
      name: 'Sequelize: a shared unique: "pair" over the looked-up attributes',
      code: sequelizeLikes(
        `{ postId: { type: DataTypes.INTEGER, unique: "pair" }, userId: { type: DataTypes.INTEGER, unique: "pair" } }`,
        "",
        countThenCreate,
      ),
    },
    {
      name: "Sequelize: a unique index in the model's options",
      code: sequelizeLikes(plainLikes, `, { indexes: [{ unique: true, fields: ["postId", "userId"] }] }`, countThenCreate),
    },
    {
      name: "Sequelize: a migration adds the unique index",
      code:
        sequelizeLikes(plainLikes, "", countThenCreate) +
        `
export async function up(queryInterface: { addIndex: (...args: unknown[]) => Promise<void> }) {
  await queryInterface.addIndex("likes", ["postId", "userId"], { unique: true });
}
`,
    },
    {
      name: "Sequelize: the count is of another post than the one inserted",
      code: sequelizeLikes(
        plainLikes,
        "",
        `  const n = await Like.count({ where: { postId: postId + 1, userId } });
  if (n === 0) return Like.create({ postId, userId });
  return null;`,
      ),
    },
  ],
  invalid: [
    {
      name: "Drizzle: the whole table counted against a limit, then an insert",
      code: drizzleAccounts(`  const taken = await db.select().from(seats);
  if (taken.length >= limit) return { error: "full" };
  await db.insert(seats).values({ holder });
  return { ok: true };`),
      errors: [{ line: 11, column: 9, messageId: "grows" }],
    },
    {
      name: "Mongoose: countDocuments() with no filter against a ceiling, then create",
      code: mongooseMembers(`  const total = await Member.countDocuments();
  if (total >= ceiling) return { status: 403 };
  return Member.create({ email, name });`),
      errors: [{ line: 8, column: 10, messageId: "grows" }],
    },
    {
      name: "Sequelize: no unique index over the counted attributes; the range on createdAt pins nothing",
      code: sequelizeLikes(plainLikes, "", countThenCreate),
      errors: [{ line: 8, column: 23, messageId: "duplicate" }],
    },
    {
      name: "Sequelize: the same count in a helper, its parameters the caller's values",
      code:
        sequelizeLikes(
          plainLikes,
          "",
          `  const n = await likesSince(postId, userId, since);
  if (n === 0) return Like.create({ postId, userId });
  return null;`,
        ) +
        `
function likesSince(postId: number, userId: number, since: Date) {
  return Like.count({ where: { postId, userId, createdAt: { [Op.gte]: since } } });
}
`,
      errors: [{ line: 8, column: 23, messageId: "duplicate" }],
    },
    {
      name: "Sequelize: a Model.init class with a non-unique index",
      code: `import { DataTypes, Model, Sequelize } from "sequelize";

const sequelize = new Sequelize(process.env.DATABASE_URL!);
class Vote extends Model {}
Vote.init({ pollId: DataTypes.INTEGER, voterId: DataTypes.INTEGER }, { sequelize, tableName: "votes", indexes: [{ fields: ["pollId"] }] });

export async function vote(pollId: number, voterId: number) {
  const prior = await Vote.findOne({ where: { pollId, voterId } });
  if (prior) return prior;
  return Vote.create({ pollId, voterId });
}
`,
      errors: [{ line: 10, column: 10, messageId: "duplicate" }],
    },
  ],
});

const attempts = (checks: string) => `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
const MAX_TRIES = 5;

export async function submit(userId: string, puzzleId: number) {
  const attempt = await prisma.attempt.findUnique({ where: { userId_puzzleId: { userId, puzzleId } } });
  if (!attempt) return { ok: false };
${checks}
  await prisma.attempt.update({ where: { userId_puzzleId: { userId, puzzleId } }, data: { tries: { increment: 1 } } });
  return { ok: true };
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "only a flag the write leaves alone is checked",
      code: attempts(`  if (attempt.gaveUp) return { ok: false };`),
    },
    {
      name: "a status refreshed from its source inside an if on the status, the nearest if on another column",
      code: `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
declare function fetchRemoteStatus(runId: string): Promise<{ status: string | null; url: string }>;
declare function findRemoteRun(runId: string): Promise<{ id: string; status: string } | undefined>;

export async function refresh(id: number) {
  const run = await prisma.run.findUnique({ where: { id } });
  if (!run) return null;
  if (run.status !== "completed") {
    if (!run.remoteId) {
      const found = await findRemoteRun(String(id));
      if (found) console.info("run started remotely", found.id);
    } else {
      const remote = await fetchRemoteStatus(run.remoteId);
      await prisma.run.update({ where: { id }, data: { status: remote.status ?? run.status, url: remote.url } });
    }
  }
  return run;
}
`,
    },
    {
      name: "a status checked, then claimed by a conditional update whose count is tested: the check decided the claim, not the later write",
      code: `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
declare function isStale(at: Date): boolean;
declare function deliver(text: string): Promise<{ id: string }>;

export async function runJob(id: string) {
  const job = await prisma.jobRun.findUnique({ where: { id } });
  if (!job) return 404;
  if (job.status !== "PENDING") return 200;
  if (isStale(job.scheduledFor)) return 410;
  const claimed = await prisma.jobRun.updateMany({ where: { id, status: "PENDING" }, data: { status: "RUNNING" } });
  if (claimed.count === 0) return 409;
  const sent = await deliver(job.text);
  await prisma.jobRun.update({ where: { id }, data: { status: "SENT", messageId: sent.id } });
  return 200;
}
`,
    },
    {
      name: "the cap is part of the write's condition and its count decides",
      code: `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function submit(userId: string, puzzleId: number) {
  const attempt = await prisma.attempt.findUnique({ where: { userId_puzzleId: { userId, puzzleId } } });
  if (!attempt || attempt.gaveUp) return { ok: false };
  const claimed = await prisma.attempt.updateMany({
    where: { userId, puzzleId, gaveUp: false, tries: { lt: 5 } },
    data: { tries: { increment: 1 } },
  });
  return { ok: claimed.count > 0 };
}
`,
    },
  ],
  invalid: [
    {
      name: "a status checked before a check of another column, then written with no claim between: two runs both send",
      code: `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
declare function isStale(at: Date): boolean;
declare function deliver(text: string): Promise<{ id: string }>;

export async function runJob(id: string) {
  const job = await prisma.jobRun.findUnique({ where: { id } });
  if (!job) return 404;
  if (job.status !== "PENDING") return 200;
  if (isStale(job.scheduledFor)) return 410;
  const sent = await deliver(job.text);
  await prisma.jobRun.update({ where: { id }, data: { status: "SENT", messageId: sent.id } });
  return 200;
}
`,
      errors: [{ line: 13, column: 9, messageId: "checkThenWrite" }],
    },
    {
      name: "the cap on tries comes before a check of another column, the flag nearest the write",
      code: attempts(`  if (attempt.tries >= MAX_TRIES) return { ok: false };
  if (attempt.gaveUp) return { ok: false };`),
      errors: [{ line: 11, column: 9, messageId: "checkThenWrite" }],
    },
  ],
});

const repository = (pause: string) => `import type { Pool, PoolClient } from "pg";

export class Ledger {
  constructor(private readonly pool: Pool) {}

  private isRetryable(err: unknown): boolean {
    return (err as { code?: string } | undefined)?.code === "40001";
  }

  async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let failure: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        failure = err;
        await client.query("ROLLBACK");
        if (!this.isRetryable(err)) break;${pause}
      } finally {
        client.release();
      }
    }
    throw failure;
  }
}
`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      name: "the class's own predicate, and a growing random pause before the next attempt",
      code: repository(`
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));`),
    },
    {
      name: "a catch that calls its own method again to retry an HTTP quote: the method is the retry, not a conflict test",
      code: `declare const api: { quote(params: object): Promise<{ price: string }> };

export class QuoteClient {
  async quote(params: object, retriesLeft = 2): Promise<{ price: string } | undefined> {
    // Undefined fields are left out at serialization, so the request keeps its old shape.
    try {
      return await api.quote(params);
    } catch {
      return retriesLeft > 0 ? this.quote(params, --retriesLeft) : undefined;
    }
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "the class's own predicate tests for a serialization failure; the retry starts at once",
      code: repository(""),
      errors: [{ line: 12, column: 5, messageId: "noDelay" }],
    },
  ],
});
