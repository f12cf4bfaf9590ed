// select-then-update and a statement's result: a call given a SQL statement (through a driver Locksmith does not
// model, such as pg-promise's `db.manyOrNone`) returns the database's rows, not a value computed from the parameters
// it was given. A backfill cursor read from Redis, used to select the next page and advanced to the page's last id,
// writes no value read back; a field of the cursor itself written back incremented stays a lost update.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const refreshPrices = (next: string) => `import _ from "lodash";
import { db } from "./db";
import { redis } from "./redis";

const CURSOR_KEY = "refresh-prices-cursor";

export async function refreshPrices(job: { data: { cursor?: { itemId: string; pages?: number } } }) {
  let cursor = job.data.cursor;
  let after = "";
  const limit = Number(await redis.get("refresh-prices-limit")) || 50;
  if (!cursor) {
    const saved = await redis.get(CURSOR_KEY);
    if (saved) {
      cursor = JSON.parse(saved);
    }
  }
  if (cursor) {
    after = "WHERE i.id > $/itemId/";
  }
  const refreshed = await db.manyOrNone(
    \`UPDATE items SET price = p.price FROM (SELECT i.id, i.price FROM items i \${after} ORDER BY i.id LIMIT $/limit/) p
     WHERE items.id = p.id RETURNING items.id\`,
    { itemId: cursor?.itemId, limit },
  );
  if (refreshed.length == limit) {
    const last = _.last(refreshed);
    const next = ${next};
    await redis.set(CURSOR_KEY, JSON.stringify(next));
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [{ name: "the next cursor is the last row the statement returned", code: refreshPrices("{ itemId: last.id }") }],
  invalid: [
    {
      name: "a field of the cursor read, written back incremented",
      code: refreshPrices("{ itemId: last.id, pages: (cursor?.pages ?? 0) + 1 }"),
      errors: [
        {
          line: 28,
          column: 11,
          messageId: "redisLostUpdate",
          data: { write: "`redis.set(…)`", key: "`CURSOR_KEY`", line: 12 },
        },
      ],
    },
  ],
});
