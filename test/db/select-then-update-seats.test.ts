// Proof on PostgreSQL: the seat booking select-then-update flags sells one seat many times under 50 concurrent
// users; the code its fix produces (the check repeated in WHERE, the affected-row count checked), the code its
// suggestion produces (FOR UPDATE in withPgTransaction) and the hand-written variants sell it exactly once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pool } from "pg";
import { selectThenUpdate } from "../../rules/select-then-update";
import { suffix } from "../runtime/services";
import { concurrently, exampleText, lintAndFix, usePgProofSchema } from "./lost-update-proof";

const CALLERS = 50;

describe("select-then-update proof on PostgreSQL: seat booking", () => {
  let pool: Pool;
  const example = lintAndFix(selectThenUpdate, exampleText("seats/pg-seats.ts"), { locked: /^Lock the row/ });

  // Count every booking write, even those that overwrite another: a trigger sees what the final row cannot.
  usePgProofSchema(
    (schema) => [
      `CREATE TABLE ${schema}.seats (id text PRIMARY KEY, status text NOT NULL, holder text, bookings integer NOT NULL DEFAULT 0)`,
      `CREATE FUNCTION ${schema}.count_booking() RETURNS trigger AS $$ BEGIN NEW.bookings := OLD.bookings + 1; RETURN NEW; END $$ LANGUAGE plpgsql`,
      `CREATE TRIGGER count_booking BEFORE UPDATE ON ${schema}.seats FOR EACH ROW EXECUTE FUNCTION ${schema}.count_booking()`,
    ],
    CALLERS,
    (p) => (pool = p),
  );

  async function run(book: (pool: Pool, seatId: string, userId: string) => Promise<void>) {
    const seatId = `seat-${suffix()}`;
    await pool.query("INSERT INTO seats (id, status) VALUES ($1, 'available')", [seatId]);
    const outcome = await concurrently(CALLERS, (i) => book(pool, seatId, `user-${i}`));
    const { rows } = await pool.query("SELECT status, bookings FROM seats WHERE id = $1", [seatId]);
    return { ...outcome, status: rows[0].status as string, bookings: rows[0].bookings as number };
  }

  test("the example is flagged once, at the unlocked booking", () => {
    assert.deepEqual(example.findingLines, [10]);
  });

  test("flagged code: the seat is booked more than once", async () => {
    const { succeeded, bookings } = await run(example.original["book"]);
    assert.ok(succeeded > 1 && bookings > 1, `expected a double booking: ${succeeded} confirmations, ${bookings} booking writes`);
  });

  test("fixed code: exactly one user gets the seat", async () => {
    assert.deepEqual(await run(example.fixed["book"]), { succeeded: 1, errors: ["seat taken"], status: "booked", bookings: 1 });
  });

  test("suggested row lock: exactly one user gets the seat", async () => {
    assert.deepEqual(await run(example.suggested["locked"]!.module["book"]), {
      succeeded: 1,
      errors: ["seat taken"],
      status: "booked",
      bookings: 1,
    });
  });

  test("hand-written variants: conditional update, FOR UPDATE in a transaction", async () => {
    assert.deepEqual(await run(example.original["bookConditionally"]), {
      succeeded: 1,
      errors: ["seat taken"],
      status: "booked",
      bookings: 1,
    });
    assert.deepEqual(await run(example.original["bookLocked"]), { succeeded: 1, errors: ["seat taken"], status: "booked", bookings: 1 });
  });
});
