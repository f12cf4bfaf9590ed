// Session 20's held-out recall set (bench/recall b162–b177), written afresh in the shapes of the misses fixed:
// - write-skew: a knex migration says what a table's unique indexes are. `knex.schema.createTable("t", (table) => …)`
//   declares the table, its keys made by `table.increments()` (`id`), a column built with `.primary()` or `.unique()`,
//   and `table.primary([…])` / `table.unique([…])`; `alterTable` adds keys. A lookup by columns no key covers, then an
//   insert of them, is a duplicate check; a key over them (in the create or added later), and a table no migration
//   declares, stay silent.
// - unchecked-lock-acquisition: a keyed promise lock that waits for the holder's promise and then stores its own
//   (`const held = locks.get(k); if (held) await held; locks.set(k, mine)`, `locks.delete(k)` once done) lets every
//   waiter in at once when the holder releases. A wait in a loop that tests the key again, a store before the wait,
//   and an in-flight map with no delete (a cache of results) stay silent.
// - unchecked-lock-acquisition: `await mutex.waitForUnlock()` takes nothing, so a test after it of state that a later
//   `runExclusive` section sets is made outside the lock; a test inside the section, and a test after the wait of
//   something the section leaves alone, stay silent.
import { uncheckedLockAcquisition } from "../../rules/unchecked-lock-acquisition";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const lazyRow = `import knex from "knex";

const db = knex({ client: "pg", connection: process.env.DATABASE_URL });

export async function progressFor(teamId: number) {
  const rows = await db("team_progress").select("started_at").where("team_id", teamId).limit(1);
  if (rows.length === 0) {
    await db("team_progress").insert({ team_id: teamId, started_at: null });
    return null;
  }
  return rows[0].started_at as Date | null;
}
`;

const migration = (builder: string, more = "") => `import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("team_progress", (table) => {
${builder}
  });${more}
}
`;

const plainColumns = `    table.increments();
    table.integer("team_id").notNullable().references("id").inTable("teams");
    table.timestamp("started_at");`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "no migration declares the table: nothing is known of its indexes",
      code: lazyRow,
    },
    {
      name: "the looked-up column is built with .unique()",
      code: lazyRow,
      files: {
        "src/migrations/001_team_progress.ts": migration(`    table.increments();
    table.integer("team_id").notNullable().unique();
    table.timestamp("started_at");`),
      },
    },
    {
      name: "a later alterTable adds table.unique([…]) over the looked-up column",
      code: lazyRow,
      files: {
        "src/migrations/001_team_progress.ts": migration(
          plainColumns,
          `
  await knex.schema.alterTable("team_progress", (table) => {
    table.unique(["team_id"]);
  });`,
        ),
      },
    },
    {
      name: "the looked-up column is the primary key (table.primary), the increments told it is none",
      code: lazyRow,
      files: {
        "src/migrations/001_team_progress.ts": migration(`    table.increments("seq", { primaryKey: false });
    table.integer("team_id").notNullable();
    table.primary(["team_id"]);
    table.timestamp("started_at");`),
      },
    },
  ],
  invalid: [
    {
      name: "the migration gives the table only its increments key and a plain foreign key",
      code: lazyRow,
      files: { "src/migrations/001_team_progress.ts": migration(plainColumns) },
      errors: [{ line: 8, column: 11, messageId: "duplicate" }],
    },
    {
      name: "a unique index over another column does not cover the lookup",
      code: lazyRow,
      files: {
        "src/migrations/001_team_progress.ts": migration(`${plainColumns}
    table.string("slug").unique();`),
      },
      errors: [{ line: 8, column: 11, messageId: "duplicate" }],
    },
  ],
});

const channel = (body: string) => `import { Mutex } from "async-mutex";

declare function connect(room: string): Promise<{ send(text: string): Promise<void> }>;

export class RoomChannel {
  private readonly gate = new Mutex();
  private socket: { send(text: string): Promise<void> } | null = null;

  async post(room: string, text: string) {
${body}
  }
}
`;

const promiseLock = (wait: string, store = "  queues.set(account, mine);") => `const queues = new Map<string, Promise<void>>();
declare function settle(account: string): Promise<void>;

export async function settleOne(account: string) {
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
${wait}
${store}
  try {
    await settle(account);
  } finally {
    queues.delete(account);
    release();
  }
}
`;

runRuleTests(uncheckedLockAcquisition, {
  valid: [
    {
      name: "the socket is tested inside the exclusive section that opens it",
      code: channel(`    await this.gate.runExclusive(async () => {
      if (!this.socket) this.socket = await connect(room);
    });
    await this.socket!.send(text);`),
    },
    {
      name: "after the wait, only the message is tested, which the section leaves alone",
      code: channel(`    await this.gate.waitForUnlock();
    if (!text) return;
    await this.gate.runExclusive(async () => {
      this.socket = await connect(room);
    });`),
    },
    {
      name: "the wait is a loop that tests the key again after waking",
      code: promiseLock(`  let current = queues.get(account);
  while (current) {
    await current;
    current = queues.get(account);
  }`),
    },
    {
      name: "the new holder is stored before the wait",
      code: promiseLock(
        `  const previous = queues.get(account);`,
        `  queues.set(account, mine);
  if (previous) await previous;`,
      ),
    },
    {
      name: "an in-flight map never emptied: a cache of results, not a lock",
      code: `const loads = new Map<string, Promise<string>>();
declare function fetchName(id: string): Promise<string>;

export async function nameOf(id: string) {
  const pending = loads.get(id);
  if (pending) return pending;
  const loading = new Promise<string>((resolve) => resolve(fetchName(id)));
  loads.set(id, loading);
  return loading;
}
`,
    },
  ],
  invalid: [
    {
      name: "the socket is tested after waitForUnlock, and opened in a later runExclusive",
      code: channel(`    await this.gate.waitForUnlock();
    if (!this.socket) {
      await this.gate.runExclusive(async () => {
        this.socket = await connect(room);
      });
    }
    await this.socket!.send(text);`),
      errors: [{ line: 11, column: 9, messageId: "testedOutsideLock" }],
    },
    {
      name: "the holder's promise is awaited, then the key stored without a second test",
      code: promiseLock(`  const current = queues.get(account);
  if (current) await current;`),
      errors: [{ line: 8, column: 16, messageId: "takenAfterWaiting" }],
    },
  ],
});
