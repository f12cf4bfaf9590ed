// lock-across-await on shapes met in real services: locks nobody waits on (a double-checked single-flight, a
// once-per-event claim, a transaction that has only inserted rows), each next to a look-alike that is still reported,
// and the trade-off the message and help state for a transaction kept open across a call.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

const HTTP = "makes an HTTP request, as slow as the remote service";
const TRANSACTION_HELP =
  "Make the call before the transaction when its inputs are ready, or after COMMIT. If it is inside so that its failure rolls the write back, commit first and undo the write with a compensating update when the call fails, or commit an outbox row with the write and make the call from it (see the rule's documentation).";

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "an in-process keyed lock around a refresh made only when the re-check under the lock finds the cached plan stale: the waiters wait for its result (double-checked single-flight)",
      code: `import AsyncLock from "async-lock";
declare const planCache: {
  read(workspaceId: string): Promise<{ plan: string; checkedAt: number } | null>;
  write(workspaceId: string, plan: string): Promise<void>;
};
const refreshes = new AsyncLock();
export async function refreshWorkspacePlan(workspaceId: string): Promise<void> {
  await refreshes.acquire(workspaceId, async () => {
    const cached = await planCache.read(workspaceId);
    if (!cached || cached.checkedAt < Date.now() - 60_000) {
      const res = await fetch(\`https://billing.example.com/v1/workspaces/\${workspaceId}/plan\`);
      const { plan } = (await res.json()) as { plan: string };
      await planCache.write(workspaceId, plan);
    }
  });
}
`,
    },
    {
      name: "a once-per-event claim: SET NX of a record of the webhook, kept for a week and never deleted; the others skip, nobody waits",
      code: `import { Redis } from "@upstash/redis";
const redis = Redis.fromEnv();
export async function handleOrderPaid(orderId: string, amountCents: number) {
  const first = await redis.set(
    \`webhook:order-paid:\${orderId}\`,
    { orderId, amountCents, receivedAt: new Date().toISOString() },
    { ex: 60 * 60 * 24 * 7, nx: true },
  );
  if (!first) return { skipped: true };
  await fetch("https://partners.example.com/v1/commissions", {
    method: "POST",
    body: JSON.stringify({ orderId, amountCents }),
  });
  return { skipped: false };
}
`,
    },
    {
      name: "a transaction whose only row lock is the review it inserted: no other transaction can see the new row, so nobody waits on it",
      code: `import { PrismaClient } from "@prisma/client";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
const prisma = new PrismaClient();
const s3 = new S3Client({});
export async function postReview(productId: string, authorId: string, body: string, photos: Buffer[]) {
  return prisma.$transaction(async (tx) => {
    const review = await tx.review.create({ data: { productId, authorId, body } });
    for (const [i, photo] of photos.entries())
      await s3.send(new PutObjectCommand({ Bucket: "reviews", Key: \`\${review.id}/\${i}.jpg\`, Body: photo }));
    return review;
  });
}
`,
    },
    {
      name: "a transaction that has only inserted a delivery row (a plain INSERT): nobody waits on it",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function recordDelivery(orderId: string, courierRef: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      "INSERT INTO deliveries (order_id, courier_ref) VALUES ($1, $2)",
      [orderId, courierRef],
    );
    await fetch(\`https://courier.example.com/v2/shipments/\${courierRef}/confirm\`, { method: "POST" });
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`,
    },
    {
      name: "a session advisory try-lock (success kept in a flag) whose losers return: nobody waits for it, and it cannot expire mid-call",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function rebuildSearchIndex() {
  let held = false;
  const client = await pool.connect();
  try {
    const result = await client.query<{ held: boolean }>("SELECT pg_try_advisory_lock($1) AS held", [7301]);
    held = result.rows[0]?.held === true;
    if (!held) return;
    await fetch("https://search.example.com/v1/reindex", { method: "POST" });
  } finally {
    if (held) await client.query("SELECT pg_advisory_unlock($1)", [7301]);
    client.release();
  }
}
`,
    },
  ],
  invalid: [
    {
      name: "the same keyed lock around a refresh made whatever the cached plan says: the waiters wait for a call they did not need",
      code: `import AsyncLock from "async-lock";
declare const planCache: {
  read(workspaceId: string): Promise<{ plan: string; checkedAt: number } | null>;
  write(workspaceId: string, plan: string): Promise<void>;
};
const refreshes = new AsyncLock();
export async function refreshWorkspacePlan(workspaceId: string): Promise<void> {
  await refreshes.acquire(workspaceId, async () => {
    const cached = await planCache.read(workspaceId);
    const res = await fetch(\`https://billing.example.com/v1/workspaces/\${workspaceId}/plan\`);
    const { plan } = (await res.json()) as { plan: string };
    if (!cached || cached.plan !== plan) await planCache.write(workspaceId, plan);
  });
}
`,
      errors: [
        {
          line: 10,
          column: 17,
          messageId: "underMutex",
          data: { call: "`fetch`", reason: HTTP, lock: "`refreshes` key `workspaceId`" },
        },
      ],
    },
    {
      name: "the same claim given back after the call: a one-minute lease around the call, which can expire mid-call",
      code: `import { Redis } from "@upstash/redis";
const redis = Redis.fromEnv();
export async function handleOrderPaid(orderId: string, amountCents: number) {
  const first = await redis.set(
    \`webhook:order-paid:\${orderId}\`,
    { orderId, amountCents, receivedAt: new Date().toISOString() },
    { ex: 60, nx: true },
  );
  if (!first) return { skipped: true };
  await fetch("https://partners.example.com/v1/commissions", {
    method: "POST",
    body: JSON.stringify({ orderId, amountCents }),
  });
  await redis.del(\`webhook:order-paid:\${orderId}\`);
  return { skipped: false };
}
`,
      errors: [
        {
          line: 10,
          column: 3,
          messageId: "underExpiringLease",
          data: { call: "`fetch`", reason: HTTP, lock: "Redis lock `webhook:order-paid:${orderId}`" },
        },
      ],
    },
    {
      name: "the same review transaction that also bumps the product's counter: that row is locked across the uploads",
      code: `import { PrismaClient } from "@prisma/client";
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
const prisma = new PrismaClient();
const s3 = new S3Client({});
export async function postReview(productId: string, authorId: string, body: string, photos: Buffer[]) {
  return prisma.$transaction(async (tx) => {
    const review = await tx.review.create({ data: { productId, authorId, body } });
    await tx.product.update({ where: { id: productId }, data: { reviewCount: { increment: 1 } } });
    for (const [i, photo] of photos.entries())
      await s3.send(new PutObjectCommand({ Bucket: "reviews", Key: \`\${review.id}/\${i}.jpg\`, Body: photo }));
    return review;
  });
}
`,
      errors: [
        {
          line: 10,
          column: 7,
          messageId: "inLockingTransaction",
          data: {
            call: "`s3.send`",
            reason: "calls the AWS API over HTTP",
            transaction: "the transaction on `tx`",
            rowLock: "a write of `product` at line 8",
          },
          help: TRANSACTION_HELP,
        },
      ],
    },
    {
      name: "the same delivery row written by an upsert (ON CONFLICT DO UPDATE): the existing row is locked across the call",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function recordDelivery(orderId: string, courierRef: string) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      "INSERT INTO deliveries (order_id, courier_ref) VALUES ($1, $2) ON CONFLICT (order_id) DO UPDATE SET courier_ref = EXCLUDED.courier_ref",
      [orderId, courierRef],
    );
    await fetch(\`https://courier.example.com/v2/shipments/\${courierRef}/confirm\`, { method: "POST" });
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`,
      errors: [
        {
          line: 11,
          column: 5,
          messageId: "inLockingTransaction",
          data: { call: "`fetch`", reason: HTTP, transaction: "the transaction on `client`", rowLock: "a write of `deliveries` at line 7" },
          help: TRANSACTION_HELP,
        },
      ],
    },
    {
      name: "the same reindex under the blocking pg_advisory_lock: every other caller waits for the call",
      code: `import { Pool } from "pg";
const pool = new Pool();
export async function rebuildSearchIndex() {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [7301]);
    try {
      await fetch("https://search.example.com/v1/reindex", { method: "POST" });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [7301]);
    }
  } finally {
    client.release();
  }
}
`,
      errors: [
        {
          line: 8,
          column: 7,
          messageId: "underLease",
          data: { call: "`fetch`", reason: HTTP, lock: "PostgreSQL advisory lock (`pg_advisory_lock`)" },
        },
      ],
    },
  ],
});
