// inconsistent-lock-order, multi-key acquisition: whether the caller's keys were sorted in place before the loop that
// locks them is a question about paths (flow/queries `mayRunAfter`), not text order. A `sort()` in the other branch
// of the `if` that holds the loop never runs before it; one on a path before the loop does, even in a branch of its own.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { runRuleTests } from "../helpers/rule-tester";

const reserveSeats = (body: string) => `import { Pool } from "pg";
const pool = new Pool();
declare function lockSeatBlock(client: unknown, seatIds: string[]): Promise<void>;

export async function reserveSeats(seatIds: string[], wholeBlock: boolean) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    ${body}
    await client.query("UPDATE seats SET held = true WHERE id = ANY($1)", [seatIds]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}`;

const LOCK_EACH = 'for (const seatId of seatIds) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [seatId]);';

/** A block declaring its own `seatIds` before the loop over the parameter. */
const SHADOWED = `if (wholeBlock) {
      const seatIds = ["whole-block"];
      console.log(seatIds);
    }
    ${LOCK_EACH}`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "the seat ids sorted in place (only when there are several) before the loop that locks them",
      code: reserveSeats(`if (seatIds.length > 1) seatIds.sort();
    ${LOCK_EACH}`),
    },
  ],
  invalid: [
    {
      name: "the seat ids sorted only on the whole-block path: the loop on the other path locks them in the caller's order",
      code: reserveSeats(`if (wholeBlock) {
      seatIds.sort();
      await lockSeatBlock(client, seatIds);
    } else {
      ${LOCK_EACH}
    }`),
      errors: [{ line: 13, column: 43, messageId: "callerOrderLoop" }],
      output: reserveSeats(`if (wholeBlock) {
      seatIds.sort();
      await lockSeatBlock(client, seatIds);
    } else {
      ${LOCK_EACH.replace("of seatIds)", "of [...seatIds].sort())")}
    }`),
    },
    {
      // Identity by scope (identity.ts): the `seatIds` declared in the block is another variable, and the loop's is the parameter.
      name: "a local of the same name in a block before the loop: the loop still locks the parameter in the caller's order",
      code: reserveSeats(SHADOWED),
      errors: [{ line: 13, column: 41, messageId: "callerOrderLoop" }],
      output: reserveSeats(SHADOWED.replace("of seatIds)", "of [...seatIds].sort())")),
    },
  ],
});
