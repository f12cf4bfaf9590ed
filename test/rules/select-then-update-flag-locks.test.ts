// select-then-update under an in-process try-lock made of a flag (flag-locks.ts): a boolean field or module variable,
// or a busy key, tested and set with nothing awaited in between and given back on every path out, admits one call of
// the section at a time, so the read and the write it guards do not interleave with another call's. Each valid case
// stands next to the unsafe neighbour: the flag set after an await, or left set when the section throws.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A block-height follower: `guard` turns callers away, `section` wraps the read-then-advance of the stored height. */
const follower = (guard: string, section: (work: string) => string) => `import { Pool } from "pg";

const pool = new Pool();
declare function latestBlock(): Promise<number>;

export class HeightFollower {
  private busy = false;

  async follow() {
    ${guard}
${section(`const head = await latestBlock();
    const { rows } = await pool.query("SELECT height FROM follow_state WHERE chain = 'main'");
    const next = rows[0].height + 1;
    if (next <= head) await pool.query("UPDATE follow_state SET height = $1 WHERE chain = 'main'", [next]);`)}
  }
}
`;

const TRY_FINALLY = (work: string) => `    try {
    ${work}
    } finally {
      this.busy = false;
    }`;

const CLEARED_AT_END = (work: string) => `    ${work}
    this.busy = false;`;

/** The same follower over a module variable, cleared at the end of the `try` and in its `catch` before rethrowing. */
const MODULE_FLAG = `import { Pool } from "pg";

const pool = new Pool();
let rolling = false;

export async function rollUpDailyTotals(day: string) {
  if (rolling) throw new Error("a roll-up is already running");
  rolling = true;
  try {
    const { rows } = await pool.query("SELECT total FROM daily_totals WHERE day = $1", [day]);
    const added = await pool.query("SELECT count(*) AS n FROM orders WHERE day = $1 AND rolled = false", [day]);
    await pool.query("UPDATE daily_totals SET total = $1 WHERE day = $2", [rows[0].total + Number(added.rows[0].n), day]);
    rolling = false;
  } catch (error) {
    rolling = false;
    throw error;
  }
}
`;

/** Per-account busy keys of a Set around a balance read and write. */
const busyKeys = (mark: string) => `import { Pool } from "pg";

const pool = new Pool();
declare function fetchInterest(accountId: string): Promise<number>;

export class InterestPoster {
  private readonly posting = new Set<string>();

  async post(accountId: string) {
    if (this.posting.has(accountId)) return;
    ${mark}
    try {
      const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [accountId]);
      await pool.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + 1, accountId]);
    } finally {
      this.posting.delete(accountId);
    }
  }
}
`;

/** The module-flag roll-up with `before` run first: a name of the function's own may look like the flag. */
const shadowed = (before: string) =>
  MODULE_FLAG.replace(
    "export async function rollUpDailyTotals(day: string) {\n",
    `export async function rollUpDailyTotals(day: string, pending: boolean) {\n${before}\n`,
  );

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a member flag tested and set before the first await and cleared in finally: one follow at a time in the process",
      code: follower("if (this.busy) return;\n    this.busy = true;", TRY_FINALLY),
    },
    {
      name: "the same flag tested as `=== true` beside another gate and set inside the try",
      code: follower("if (!pool || this.busy === true) return;", (work) => TRY_FINALLY(`this.busy = true;\n    ${work}`)),
    },
    {
      name: "a module flag that throws for a second caller, cleared at the end of the try and in the catch that rethrows",
      code: MODULE_FLAG,
    },
    {
      name: "a local of the flag's name in a block of its own (identity by declaration): the flag set is still the module's",
      code: shadowed("  for (const rolling of [pending]) if (rolling) console.log(day);"),
    },
    {
      name: "a Set of busy account ids marked right after its test and unmarked in finally",
      code: busyKeys("this.posting.add(accountId);"),
    },
  ],
  invalid: [
    {
      name: "the test reads a block's own `rolling`, an alias of a parameter, not the module flag set after it: nobody is turned away",
      code: shadowed('  {\n    const rolling = pending;\n    if (rolling) throw new Error("pending");\n  }').replace(
        '  if (rolling) throw new Error("a roll-up is already running");\n',
        "",
      ),
      errors: [{ line: 15, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "the flag set only after an awaited call: two calls can both pass the test before either sets it",
      code: follower("if (this.busy) return;\n    await latestBlock();\n    this.busy = true;", TRY_FINALLY),
      errors: [{ line: 17, column: 29, messageId: "lostUpdate" }],
    },
    {
      name: "the flag cleared only when the section completes: a throw leaves it set, so it is not a lock but a latch",
      code: follower("if (this.busy) return;\n    this.busy = true;", CLEARED_AT_END),
      errors: [{ line: 15, column: 29, messageId: "lostUpdate" }],
    },
    {
      name: "a flag that is never tested: setting it turns nobody away",
      code: follower("this.busy = true;", TRY_FINALLY),
      errors: [{ line: 15, column: 29, messageId: "lostUpdate" }],
    },
    {
      name: "the busy key marked after an awaited lookup: two calls can pass the test together",
      code: busyKeys("await fetchInterest(accountId);\n    this.posting.add(accountId);"),
      errors: [{ line: 15, column: 13, messageId: "lostUpdate" }],
      output: busyKeys("await fetchInterest(accountId);\n    this.posting.add(accountId);").replace(
        '"UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance + 1, accountId]',
        '"UPDATE accounts SET balance = balance + $1 WHERE id = $2", [1, accountId]',
      ),
    },
  ],
});
