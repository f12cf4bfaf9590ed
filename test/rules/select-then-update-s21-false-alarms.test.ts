import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// Session 21: false-alarm shapes of the session 19–20 field runs, each written afresh, beside the buggy look-alike that
// must stay reported.
//
// A query builder read that names its columns (`.select("s.id", "id").addSelect(…)`) returns rows holding those columns
// only: a property it leaves out is undefined on every row found, so a value computed from it holds nothing read.
const builderRead = (selects: string) => `import { getRepository } from "typeorm";
declare class Streak {
  id: number;
  owner: string;
  days: number;
  startedAt?: Date;
}
export async function touchStreak(owner: string, days: number): Promise<void> {
  const repository = getRepository(Streak);
  const found = await repository
    .createQueryBuilder("streak")
${selects}
    .where("streak.owner = :owner", { owner })
    .getRawOne();
  const streak = found ?? new Streak();
  streak.owner = owner;
  streak.days = days;
  streak.startedAt = streak.startedAt ?? new Date();
  await repository.save(streak);
}`;

// A task queue that keeps its tasks in an array and starts the next only when the previous one settled, one instance for
// the whole module: its tasks run one at a time, so a read-modify-write done inside a task does not race another task.
// Per-object queues, a queue that starts every task at once, or a runner that does not wait, stay reported.
const serialQueue = (add: string, drain: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
class Pipeline {
  private busy = false;
  private pending: Array<() => Promise<void>> = [];
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push(async () => {
        try {
          resolve(await work());
        } catch (error) {
          reject(error);
        }
      });
${add}
    });
  }
  private drain(): void {
    this.busy = true;
    const job = this.pending.shift();
    if (!job) {
      this.busy = false;
      return;
    }
${drain}
  }
}
`;
const settled = "    job().finally(() => this.drain());";
const rollUp = `export function rollUp(day: string, amount: number) {
  return ledger.enqueue(async () => {
    const total = await prisma.dailyTotal.findUnique({ where: { day } });
    if (!total) return;
    await prisma.dailyTotal.update({ where: { day }, data: { best: Math.max(total.best, amount) } });
  });
}`;

// A cached getter that, on a miss, asks itself without the cache (`priceOf(sku, false)`) stores what the database
// returned: that run takes the uncached path, so its value is not the cached one read before (a read-through fill). A
// value built on the cached one stays a lost update.
const cachedGetter = `import Redis from "ioredis";
import { Pool } from "pg";

const redis = new Redis();
const pool = new Pool();

`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a raw builder read whose select list leaves out the column the value is computed from",
      code: builderRead(`    .select("streak.id", "id")
    .addSelect("streak.days", "days")`),
    },
    {
      name: "a raw read of a column list (`AS` aliases): the pin date, not listed, is never read and always set afresh",
      code: `import { getRepository } from "typeorm";
declare class Bookmark {
  id?: number;
  owner: string;
  page: number;
  pinnedAt?: Date;
}
export async function movePin(owner: string, page: number): Promise<void> {
  const repository = getRepository(Bookmark);
  const [existing] = await repository
    .createQueryBuilder("b")
    .select(["b.id AS id", "b.page AS page"])
    .where("b.owner = :owner", { owner })
    .limit(1)
    .getRawMany();
  const bookmark = existing ?? new Bookmark();
  bookmark.owner = owner;
  bookmark.page = page;
  bookmark.pinnedAt = bookmark.pinnedAt ? bookmark.pinnedAt : new Date();
  await repository.save(bookmark);
}`,
    },
    {
      name: "a read-modify-write inside a task of a module's one serial queue (array of tasks, a busy flag, next on settle)",
      code: `${serialQueue("      if (!this.busy) this.drain();", settled)}const ledger = new Pipeline();
${rollUp}`,
    },
    {
      name: "a cached getter filling the key on a miss with what it returns when called without the cache",
      code: `${cachedGetter}export async function priceOf(sku: string, cached = true): Promise<{ value: string }> {
  if (cached) {
    const key = \`price:\${sku}\`;
    const hit = await redis.get(key);
    if (hit !== null) return { value: hit };
    const loaded = await priceOf(sku, false);
    await redis.set(key, loaded.value, "EX", 60);
    return loaded;
  }
  const { rows } = await pool.query("SELECT price FROM prices WHERE sku = $1", [sku]);
  return { value: String(rows[0].price) };
}`,
    },
  ],
  invalid: [
    {
      name: "the same read selecting the column: a concurrent call's start date can be overwritten",
      code: builderRead(`    .select("streak.id", "id")
    .addSelect("streak.days", "days")
    .addSelect("streak.startedAt", "startedAt")`),
      errors: [{ line: 21, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "a counter computed from a listed column is still a lost update",
      code: `import { getRepository } from "typeorm";
declare class Badge {
  id: number;
  label: string;
  awards: number;
}
export async function award(id: number): Promise<void> {
  const badge = await getRepository(Badge).createQueryBuilder("b").select(["b.id", "b.awards"]).where("b.id = :id", { id }).getOne();
  if (!badge) return;
  await getRepository(Badge).update({ id }, { awards: badge.awards + 1 });
}`,
      errors: [{ line: 10, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "a queue per object: two objects' tasks run at once",
      code: `${serialQueue("      if (!this.busy) this.drain();", settled)}export class Account {
  private readonly ledger = new Pipeline();
  rollUp(day: string, amount: number) {
    return this.ledger.enqueue(async () => {
      const total = await prisma.dailyTotal.findUnique({ where: { day } });
      if (!total) return;
      await prisma.dailyTotal.update({ where: { day }, data: { best: Math.max(total.best, amount) } });
    });
  }
}`,
      errors: [{ line: 34, column: 13, messageId: "lostUpdate" }],
    },
    {
      name: "a queue that starts its runner for every task, busy or not",
      code: `${serialQueue("      this.drain();", settled)}const ledger = new Pipeline();
${rollUp}`,
      errors: [{ line: 33, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a runner that starts the next task without waiting for the one it started",
      code: `${serialQueue("      if (!this.busy) this.drain();", "    void job();\n    this.drain();")}const ledger = new Pipeline();
${rollUp}`,
      errors: [{ line: 34, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a cached count added to what the uncached run returns, and stored: two calls lose one's addition",
      code: `${cachedGetter}export async function viewsOf(page: string, cached = true): Promise<number> {
  if (cached) {
    const key = \`views:\${page}\`;
    const seen = Number((await redis.get(key)) ?? 0);
    const counted = await viewsOf(page, false);
    await redis.set(key, String(seen + counted));
    return seen + counted;
  }
  const { rows } = await pool.query("SELECT count(*) AS n FROM views WHERE page = $1", [page]);
  return Number(rows[0].n);
}`,
      errors: [{ line: 12, column: 11, messageId: "redisLostUpdate" }],
    },
  ],
});
