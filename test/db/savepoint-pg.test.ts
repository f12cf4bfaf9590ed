// Proof on PostgreSQL that a savepoint leaves the transaction and its earlier row lock in place (issue #16): a debit
// that reads the balance FOR UPDATE, then tries a once-only insert under a SAVEPOINT and undoes it with ROLLBACK TO
// SAVEPOINT when it fails, still writes under the lock, so concurrent debits lose nothing; select-then-update does not
// report it. The same code without FOR UPDATE is reported, and concurrent debits are lost. Also the ground truth
// behind lock-across-await's savepoint case: after ROLLBACK TO SAVEPOINT another transaction still waits for the row.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { lintCode } from "../helpers/rule-tester";
import { connectPg, suffix, until } from "../runtime/services";
import { loadModule, waitsForLock } from "./lost-update-proof";

const CALLERS = 10;

/** The debit as an Express service writes it; `pause` runs after the read, before the savepoint. */
const debit = (lock: string) => `import type { Pool } from "pg";
export async function debit(pool: Pool, id: string, amount: number, pause: () => Promise<void>) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query("SELECT balance FROM accounts WHERE id = $1${lock}", [id]);
    await pause();
    await client.query("SAVEPOINT first_debit");
    try {
      await client.query("INSERT INTO first_debits (account_id) VALUES ($1)", [id]);
    } catch {
      await client.query("ROLLBACK TO SAVEPOINT first_debit");
    }
    await client.query("UPDATE accounts SET balance = $1 WHERE id = $2", [rows[0].balance - amount, id]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`;

const LOCKED = debit(" FOR UPDATE");
const UNLOCKED = debit("");

type Debit = (pool: Pool, id: string, amount: number, pause: () => Promise<void>) => Promise<void>;

describe("savepoints on PostgreSQL: ROLLBACK TO SAVEPOINT keeps the transaction and the row lock taken before it", () => {
  const schema = `locksmith_savepoint_${suffix()}`;
  const application = `locksmith_sp_${suffix()}`;
  let admin: Pool;
  let pool: Pool;

  before(async () => {
    admin = await connectPg();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance integer NOT NULL)`);
    await admin.query(`CREATE TABLE ${schema}.first_debits (account_id text PRIMARY KEY)`);
    pool = await connectPg({ options: `-c search_path=${schema}`, application_name: application });
  });
  after(async () => {
    await pool?.end();
    await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  const someoneWaits = () => waitsForLock(admin, application);

  /** `CALLERS` concurrent debits of 10 from 1000; each pauses after its read until all have read or one waits for a lock. */
  async function run(fn: Debit): Promise<number> {
    const id = `acct-${suffix()}`;
    await pool.query("INSERT INTO accounts (id, balance) VALUES ($1, 1000)", [id]);
    let read = 0;
    const pause = async () => {
      read++;
      await until(async () => read === CALLERS || (await someoneWaits()), "every debit has read or one waits for the row");
    };
    const results = await Promise.allSettled(Array.from({ length: CALLERS }, () => fn(pool, id, 10, pause)));
    assert.deepEqual(
      results.filter((r) => r.status === "rejected"),
      [],
    );
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    return rows[0].balance as number;
  }

  test("select-then-update reports the debit without FOR UPDATE, not the one with it", () => {
    const unlocked = lintCode(selectThenUpdate, { code: UNLOCKED });
    assert.deepEqual(
      unlocked.diagnostics.map((d) => unlocked.lineOf(d.span.start).line),
      [14],
    );
    assert.deepEqual(lintCode(selectThenUpdate, { code: LOCKED }).diagnostics, []);
  });

  test("without FOR UPDATE: concurrent debits (most undoing their insert with ROLLBACK TO SAVEPOINT) are lost", async () => {
    assert.ok((await run(loadModule(UNLOCKED)["debit"])) > 1000 - 10 * CALLERS);
  });

  test("with FOR UPDATE before the savepoint: every debit is applied exactly once", async () => {
    assert.equal(await run(loadModule(LOCKED)["debit"]), 1000 - 10 * CALLERS);
  });

  test("after ROLLBACK TO SAVEPOINT, a second transaction still waits for the row locked before the savepoint", async () => {
    const id = `acct-${suffix()}`;
    await pool.query("INSERT INTO accounts (id, balance) VALUES ($1, 1000)", [id]);
    const holder = await pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", [id]);
      await holder.query("SAVEPOINT s");
      await holder.query("UPDATE accounts SET balance = 0 WHERE id = $1", [id]);
      await holder.query("ROLLBACK TO SAVEPOINT s");
      let written = false;
      const other = pool.query("UPDATE accounts SET balance = balance - 1 WHERE id = $1", [id]).then(() => (written = true));
      await until(someoneWaits, "the other update waits for the row");
      assert.equal(written, false);
      await holder.query("COMMIT");
      await other;
    } finally {
      holder.release();
    }
    const { rows } = await pool.query("SELECT balance FROM accounts WHERE id = $1", [id]);
    assert.equal(rows[0].balance, 999);
  });
});
