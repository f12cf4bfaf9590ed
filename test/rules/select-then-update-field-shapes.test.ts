// select-then-update: shapes judged false on real applications, each as a rule a reviewer states in one sentence.
// - A Prisma write whose WHERE repeats the status checked (`status: { notIn: [...] }` / `{ in: [...] }`) is a
//   conditional update: the database re-checks it, so a concurrent finish makes it a no-op. A filter on another column
//   stays reported.
// - Where the read found nothing (the `else` of `if (found)`), `found?.slug ?? newSlug()` is the fallback: an insert
//   there copies nothing read. A number computed there (`(last?.n ?? 0) + 1`) stays reported.
// - A cache fill (the exit returns the stored value while it has not expired, the upsert stores a fresh value and
//   expiry from nothing read) recomputes whenever the entry expires anyway. A lease (the exit returns `false`) and an
//   exit returning the stored value with no expiry tested stay reported.
// - Beside a set-once column (a plain-text copy filled from the row's own html), a column computed from other columns
//   (the id a send of the row's fields returns) writes nothing back; a counter written back stays reported, and so
//   does a payload a callback computes from the row read (a property of that result is not the column as read).
// - A spread of object literals in the written data (`...(reviewState ? { reviewState, reviewedAt: null } : {})`)
//   writes back only the columns it names: a state chosen by a comparison with the row is a check of a column the
//   write leaves alone. A counter inside such a spread stays reported.
// - A project helper given the transaction that locks the parent row (`SELECT … FROM "Product" WHERE id = $1 FOR
//   UPDATE`, called with the key the child rows are read by) serialises the child rows' writers; a helper locking a row
//   by another value stays reported.
// - `const { id } = (await findFirst(…)) || {}` destructures a column of the row, as without the empty fallback: a
//   primary key copied into a new row is its identity, not a duplicate number (what remains is the check-then-insert
//   of a get-or-create); a number computed from a column destructured so stays a duplicate number.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A run stopped unless it already ended; `filter` is the status filter of the update's WHERE. */
const stopRun = (filter: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function stopRun(runId: string, ownerId: string) {
  const run = await prisma.pipelineRun.findUnique({ where: { runId, ownerId } });
  if (!run) throw new Error("no such run");
  if (run.status === "succeeded" || run.status === "cancelled") return;
  await prisma.pipelineRun.updateMany({
    where: { runId, ${filter} },
    data: { status: "cancelled", stoppedAt: new Date() },
  });
}`;

/** A public link reused when one exists, else created; `slug` is how its slug is chosen. */
const publishLink = (slug: string) => `import { PrismaClient } from "@prisma/client";
import { randomUUID } from "node:crypto";
const prisma = new PrismaClient();

export async function publishLink(ownerId: string, documentId: string, title: string) {
  const existing = await prisma.publicLink.findFirst({ where: { documentId, ownerId, revokedAt: null } });
  const slug = ${slug};
  const meta = { previewKey: \`previews/\${slug}.png\` };
  if (existing) {
    return prisma.publicLink.update({ where: { id: existing!.id }, data: { title } });
  } else {
    return prisma.publicLink.create({ data: { slug, documentId, ownerId, title, meta: JSON.stringify(meta) } });
  }
}`;

/** An entry of a table with an expiry, found by its key; `exit` leaves early with what a fresh entry gives. */
const expiring = (exit: string, returned = "rate") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function fetchRate(base: string, quote: string): Promise<number>;

export async function rateFor(base: string, quote: string, owner: string) {
  const entry = await prisma.rateEntry.findUnique({ where: { base_quote: { base, quote } } });
  ${exit}
  const rate = await fetchRate(base, quote);
  const validUntil = new Date(Date.now() + 60_000);
  await prisma.rateEntry.upsert({
    where: { base_quote: { base, quote } },
    create: { base, quote, rate, owner, validUntil },
    update: { rate, owner, validUntil },
  });
  return ${returned};
}`;

/** A queued mail sent, its provider id and plain text stored; `extra` adds columns to the write. */
const sendQueued = (extra: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function htmlToText(html: string): string;
declare function deliver(message: { to: string; subject: string; text?: string }): Promise<string>;

export async function sendQueued(id: string) {
  const mail = await prisma.outboundMail.findUnique({ where: { id } });
  if (!mail) return;
  const text = mail.text ? mail.text : mail.html ? htmlToText(mail.html) : undefined;
  const providerId = await deliver({ to: mail.to, subject: mail.subject, text });
  await prisma.outboundMail.update({ where: { id }, data: { providerId, ${extra}text } });
}`;

/** A new bundle of an app published; `spread` is the last part of the written data. */
const publishBundle = (spread: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function publishBundle(appId: string, bundle: string, checksum: string) {
  const app = await prisma.app.findUniqueOrThrow({ where: { id: appId } });
  const reviewState = app.checksum === checksum ? undefined : "pending";
  await prisma.app.update({ where: { id: appId }, data: { bundle, ${spread} } });
}`;

/** Stock moved out of a bin inside a transaction; `lock` is the helper call that runs first. */
const moveStock = (lock: string) => `import { PrismaClient, Prisma } from "@prisma/client";
const prisma = new PrismaClient();

async function lockProduct(tx: Prisma.TransactionClient, productId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>\`SELECT id FROM "Product" WHERE id = \${productId} FOR UPDATE\`;
  if (rows.length === 0) throw new Error("no such product");
}

export async function moveStock(productId: string, warehouseId: string, orderId: string, units: number) {
  await prisma.$transaction(async (tx) => {
    ${lock}
    const bin = await tx.stockBin.findFirst({ where: { productId, warehouseId } });
    if (!bin || bin.quantity < units) throw new Error("not enough stock");
    await tx.stockBin.update({ where: { id: bin.id }, data: { quantity: bin.quantity - units } });
  });
}`;

/** A draft reused or created per author and page; `insert` is the create's data. */
const ensureDraft = (fields: string, insert: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function ensureDraft(authorId: string, pageId: string, freshId: string) {
  return prisma.$transaction(async (tx) => {
    let draftId = freshId;
    const { ${fields} } = (await tx.draft.findFirst({ where: { authorId, pageId }, orderBy: { revision: "desc" } })) || {};
    if (id) draftId = id;
    const found = await tx.draft.count({ where: { id: draftId, authorId } });
    if (found === 0) await tx.draft.create({ data: { ${insert}, authorId, pageId } });
    return draftId;
  });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a run stopped unless already ended, the update's WHERE repeating the check with notIn",
      code: stopRun('status: { notIn: ["succeeded", "cancelled"] }'),
    },
    {
      name: "the same stop, the WHERE naming the statuses a run may be stopped in",
      code: stopRun('status: { in: ["queued", "running"] }'),
    },
    {
      name: "a link created only where none was found: the slug read is its fresh fallback there, also inside JSON",
      code: publishLink("existing?.slug ?? randomUUID()"),
    },
    {
      name: "the same get-or-create, the create under a test that nothing was found and the update after it",
      code: `import { PrismaClient } from "@prisma/client";
import { randomUUID } from "node:crypto";
const prisma = new PrismaClient();

export async function publishLink(ownerId: string, documentId: string, title: string) {
  const existing = await prisma.publicLink.findFirst({ where: { documentId, ownerId, revokedAt: null } });
  const slug = existing?.slug || randomUUID();
  if (!existing) {
    return prisma.publicLink.create({ data: { slug, documentId, ownerId, title, previewKey: \`previews/\${slug}.png\` } });
  }
  return prisma.publicLink.update({ where: { id: existing.id }, data: { title } });
}`,
    },
    {
      name: "a cache fill: the exit returns the stored rate while it is valid, the upsert stores a fresh rate and expiry",
      code: expiring("if (entry && entry.validUntil.getTime() > Date.now()) return entry.rate;"),
    },
    {
      name: "the same cache fill, the expiry compared as a date and the stored value returned from a block",
      code: expiring("if (entry && new Date() < entry.validUntil) {\n    return entry.rate as number;\n  }"),
    },
    {
      name: "a provider id returned by a send of the row's fields, beside a plain-text copy filled once from the html",
      code: sendQueued(""),
    },
    {
      name: "a review state chosen by comparing the stored checksum, spread in only when set",
      code: publishBundle("...(reviewState ? { reviewState, reviewedAt: null } : {})"),
    },
    {
      name: "a helper given the transaction locks the product row the bins are read by, first",
      code: moveStock("await lockProduct(tx, productId);"),
    },
  ],
  invalid: [
    {
      name: "the WHERE filters another column than the status checked: two stops both pass the check",
      code: stopRun('kind: { notIn: ["system"] }'),
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`prisma.pipelineRun.updateMany(…)`", column: "`status`", line: 5 },
        },
      ],
    },
    {
      name: "a number computed where nothing was found: every caller computes the same one",
      code: publishLink("String((existing?.sequence ?? 0) + 1)"),
      errors: [
        {
          line: 12,
          column: 12,
          messageId: "insertFromRead",
          data: { write: "`prisma.publicLink.create(…)`", column: "`sequence`", line: 6 },
        },
      ],
    },
    {
      name: "a lease taken where none is valid: the exit returns false, two callers both take it",
      code: expiring("if (entry && entry.validUntil.getTime() > Date.now()) return false;", "true"),
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`prisma.rateEntry.upsert(…)`", column: "`validUntil`", line: 6 },
        },
      ],
    },
    {
      name: "the stored value returned while the owner is the caller, no expiry tested: the owner check is the race",
      code: expiring("if (entry && entry.owner !== owner) return entry.rate;"),
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "checkThenWrite",
          data: { write: "`prisma.rateEntry.upsert(…)`", column: "`owner`", line: 6 },
        },
      ],
    },
    {
      name: "the same send, the attempt count written back one higher: two sends both write the same count",
      code: sendQueued("attempts: mail.attempts + 1, "),
      errors: [
        {
          line: 11,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.outboundMail.update(…)`", column: "`attempts`", line: 7 },
        },
      ],
    },
    {
      name: "the same spread also counts the publish from the count read: two publishes write the same count",
      code: publishBundle("...(reviewState ? { reviewState, publishCount: app.publishCount + 1 } : {})"),
      errors: [
        {
          line: 7,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`prisma.app.update(…)`", column: "`publishCount`", line: 5 },
        },
      ],
    },
    {
      name: "the same helper called with another key: the bins' product row is not locked",
      code: moveStock("await lockProduct(tx, orderId);"),
      errors: [
        {
          line: 14,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`tx.stockBin.update(…)`", column: "`quantity`", line: 12 },
        },
      ],
    },
    {
      name: "a draft id destructured from the row found (or nothing), reused, else a fresh id: a check-then-insert, no number",
      code: ensureDraft("id", "id: draftId"),
      errors: [
        {
          line: 10,
          column: 28,
          messageId: "checkThenWrite",
          data: { write: "`tx.draft.create(…)`", column: "`id`", line: 7 },
        },
      ],
    },
    {
      name: "the same get-or-create, the new draft numbered one above the revision destructured from the row",
      code: ensureDraft("id, revision", "id: draftId, revision: (revision ?? 0) + 1"),
      errors: [
        {
          line: 10,
          column: 28,
          messageId: "insertFromRead",
          data: { write: "`tx.draft.create(…)`", column: "`revision`", line: 7 },
        },
      ],
    },
    {
      name: "a payload and expiry a callback computes from the row read, written back: a concurrent change is undone",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type Stored = { payload: unknown; expiresAt: Date };

export async function updateGrant(id: string, change: (old: Stored | undefined) => Stored | undefined) {
  const old = await prisma.grant.findUnique({ where: { id } });
  const next = change(old ? { payload: old.payload, expiresAt: old.expiresAt } : undefined);
  if (next && old) {
    await prisma.grant.update({ where: { id }, data: { payload: next.payload, expiresAt: next.expiresAt } });
  }
}`,
      errors: [
        {
          line: 9,
          column: 11,
          messageId: "lostUpdate",
          data: { write: "`prisma.grant.update(…)`", column: "`payload`", line: 6 },
        },
      ],
    },
  ],
});
