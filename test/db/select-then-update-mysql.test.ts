// Proof on MariaDB/MySQL: the code select-then-update flags oversells stock under 50 concurrent buyers; the code its
// fix produces, the code its row-lock suggestion produces (FOR UPDATE in withMySqlTransaction), and the hand-written
// correct variants sell exactly what there is.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as mysql from "mysql2/promise";
import { selectThenUpdate } from "../../rules/select-then-update";
import { mysqlConfig, suffix } from "../runtime/services";
import { MYSQL2_PROMISE } from "../helpers/driver-stubs";
import { concurrently, exampleText, lintAndFix, typeErrorsAsExample } from "./lost-update-proof";

const CALLERS = 50;

describe("select-then-update proof on MariaDB (mysql2)", () => {
  const database = `locksmith_proof_${suffix()}`;
  let admin: mysql.Connection;
  let pool: mysql.Pool;
  const example = lintAndFix(selectThenUpdate, exampleText("inventory/mysql-inventory.ts"), { locked: /^Lock the row/ }, MYSQL2_PROMISE);

  before(async () => {
    const config = mysqlConfig();
    try {
      admin = await mysql.createConnection(config);
    } catch (error) {
      throw new Error(
        `MariaDB/MySQL is not reachable at ${config.host}:${config.port} (${(error as Error).message}). Start it, or point MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD at one.`,
      );
    }
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`CREATE TABLE ${database}.inventory (sku VARCHAR(64) PRIMARY KEY, stock INT NOT NULL) ENGINE=InnoDB`);
    // The example's SQL names `inventory`: the pool's default database is the test's own.
    pool = mysql.createPool({ ...config, database, connectionLimit: CALLERS });
  });
  after(async () => {
    await pool?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin?.end();
  });

  async function run(reserve: (pool: mysql.Pool, sku: string, quantity: number) => Promise<void>, stock: number) {
    const sku = `sku-${suffix()}`;
    await pool.execute("INSERT INTO inventory (sku, stock) VALUES (?, ?)", [sku, stock]);
    const outcome = await concurrently(CALLERS, () => reserve(pool, sku, 1));
    const [rows] = await pool.query<mysql.RowDataPacket[]>("SELECT stock FROM inventory WHERE sku = ?", [sku]);
    return { ...outcome, stock: rows[0]!["stock"] as number };
  }

  test("the example is flagged once, at the unlocked reserve", () => {
    assert.deepEqual(example.findingLines, [11]);
  });

  test("flagged code: more units are sold than the stock held", async () => {
    const { succeeded, stock } = await run(example.original["reserve"], 20);
    assert.ok(succeeded > 20 || stock !== 20 - succeeded, `expected oversold stock: ${succeeded} sales, ${stock} left`);
  });

  test("fixed code: exactly the 20 units in stock are sold", async () => {
    assert.deepEqual(await run(example.fixed["reserve"], 20), { succeeded: 20, errors: ["out of stock"], stock: 0 });
  });

  test("fixed code: with enough stock every sale is counted", async () => {
    assert.deepEqual(await run(example.fixed["reserve"], 100), { succeeded: CALLERS, errors: [], stock: 50 });
  });

  test("suggested row lock (FOR UPDATE in withMySqlTransaction): exactly the 20 units in stock are sold", async () => {
    assert.deepEqual(await run(example.suggested["locked"]!.module["reserve"], 20), { succeeded: 20, errors: ["out of stock"], stock: 0 });
  });

  test("the suggestion type-checks against the real mysql2 and runtime types", () => {
    assert.deepEqual(typeErrorsAsExample("inventory/mysql-inventory.ts", example.suggested["locked"]!.text), []);
  });

  test("hand-written variants: atomic update and FOR UPDATE in a transaction", async () => {
    assert.deepEqual(await run(example.original["reserveAtomically"], 20), { succeeded: 20, errors: ["out of stock"], stock: 0 });
    assert.deepEqual(await run(example.original["reserveLocked"], 20), { succeeded: 20, errors: ["out of stock"], stock: 0 });
  });
});
