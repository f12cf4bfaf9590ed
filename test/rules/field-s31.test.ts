// Session 31 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged corpus, written
// afresh; each invalid case is its twin that still races.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/**
 * Pattern 181: a ledger sync that locks its entries in the order the caller lists them, run only by a poll loop
 * behind a module busy flag two calls up (`tick` → `syncAll` → `settleEntries`); a webhook path settles one entry at
 * a time (`settleEntries([entry])`), which holds one key and waits for none.
 */
const settle = (extra = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

interface Entry { ref: string; amount: number }

export async function settleEntries(entries: Entry[]) {
  await prisma.$transaction(async (tx) => {
    for (const entry of entries) {
      await tx.$queryRaw\`SELECT ref FROM ledger_entry WHERE ref = \${entry.ref} FOR UPDATE\`;
      await tx.$executeRaw\`UPDATE ledger_entry SET settled = true WHERE ref = \${entry.ref}\`;
    }
  });
}

export async function syncAll(fetchEntries: () => Promise<Entry[]>) {
  const entries = await fetchEntries();
  await settleEntries(entries);
}

export async function onWebhook(entry: Entry) {
  await settleEntries([entry]);
}
${extra}`;

const poller = (call: string) => `import { syncAll } from "./ledger";
let busy = false;

export async function tick() {
  if (busy) return;
  try {
    busy = true;
    ${call}
  } catch (error) {
    console.error("sync failed", error);
  }
  busy = false;
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "181: keys in the caller's order, every multi-key call under the poll loop's busy flag two calls up",
      filename: "src/ledger.ts",
      code: settle(),
      files: { "src/poller.ts": poller("await syncAll(async () => []);") },
    },
  ],
  invalid: [
    {
      name: "181 twin: a request handler also settles a caller's list, under no lock",
      filename: "src/ledger.ts",
      code: settle(`
export async function settleBatch(entries: Entry[]) {
  await settleEntries(entries);
}
`),
      files: { "src/poller.ts": poller("await syncAll(async () => []);") },
      errors: [
        { line: 9, column: 13, messageId: "callerOrderLoop" },
        { line: 10, column: 13, messageId: "callerOrderLoop" },
      ],
    },
    {
      name: "181 twin: the poll loop does not wait for the sync, so the flag is cleared mid-run",
      filename: "src/ledger.ts",
      code: settle(),
      files: { "src/poller.ts": poller("void syncAll(async () => []);") },
      errors: [
        { line: 9, column: 13, messageId: "callerOrderLoop" },
        { line: 10, column: 13, messageId: "callerOrderLoop" },
      ],
    },
  ],
});

/**
 * Pattern 182: a flag set to true behind a test that it is not already set (with a constant currency and the clock
 * beside it): two callers both store what one leaves.
 */
const enableBilling = `import { Column, Entity, PrimaryColumn, Repository } from "typeorm";

@Entity()
export class Shop {
  @PrimaryColumn() id!: string;
  @Column() billingEnabled!: boolean;
  @Column() currency!: string;
  @Column() billingSince!: Date;
}

export async function ensureBilling(shops: Repository<Shop>, id: string) {
  const shop = await shops.findOne({ where: { id } });
  if (!shop) return null;
  if (!shop.billingEnabled || shop.currency !== "EUR") {
    shop.billingEnabled = true;
    shop.currency = "EUR";
    shop.billingSince = new Date();
    await shops.save(shop);
  }
  return shop;
}
`;

/** The same through Prisma; `after` runs once the flag is set. */
const enableShopBilling = (after = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function enableShopBilling(id: string) {
  const shop = await prisma.shop.findUnique({ where: { id } });
  if (!shop) return null;
  if (!shop.billingEnabled || shop.currency !== "EUR") {
    await prisma.shop.update({ where: { id }, data: { billingEnabled: true, currency: "EUR", billingSince: new Date() } });
${after}  }
  return shop;
}
`;

/**
 * Pattern 183: a find-or-create whose create reassigns the name in the branch that found nothing; the update in the
 * other branch writes a field back as read (`title: plugin.title`). With no other writer of the column, two calls end
 * as one of them run last.
 */
const registerPlugin = (other = "") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function registerPlugin(key: string, title: string, manifest: object) {
  let plugin = await prisma.plugin.findFirst({ where: { key } });
  if (!plugin) {
    plugin = await prisma.plugin.create({ data: { key, title, manifest } });
  } else {
    plugin = await prisma.plugin.update({ where: { id: plugin.id }, data: { title: plugin.title, manifest, enabled: true } });
  }
  return plugin;
}
${other}`;

/**
 * Pattern 184: a helper that returns the Prisma row as read (`return widget`), and a caller merging one key into the
 * row's JSON column named `data`: Prisma's row has that column, no result wrapper. Judged by the column's writers.
 */
const saveWidgetOptions = (other = "") => `import { PrismaClient } from "@prisma/client";

export class WidgetService {
  constructor(private readonly prisma: PrismaClient) {}

  async getWidget(slug: string) {
    const widget = await this.prisma.widget.findFirst({ where: { slug } });
    return widget;
  }

  async saveOptions(slug: string, options: unknown) {
    const widget = await this.getWidget(slug);
    const current = widget.data ? widget.data : {};
    return this.prisma.widget.update({ where: { id: widget.id }, data: { data: { ...(current as any), options } } });
  }
${other}}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    { name: "182: a flag set to true behind a test that it is not set (TypeORM save)", code: enableBilling },
    { name: "182: the same through a Prisma update", code: enableShopBilling() },
    { name: "183: a field written back as read, the name reassigned only in the branch that creates", code: registerPlugin() },
    { name: "184: a JSON column named data, read through a helper returning the row, one writer", code: saveWidgetOptions() },
  ],
  invalid: [
    {
      name: "182 twin: the flag claims work done after it is set (a welcome credit granted)",
      code: enableShopBilling("    await prisma.credit.create({ data: { shopId: id, amount: 100 } });\n"),
      errors: [{ line: 8, column: 11, messageId: "checkThenWrite" }],
    },
    {
      name: "183 twin: an admin rename also writes the title",
      code: registerPlugin(`
export async function renamePlugin(key: string, title: string) {
  await prisma.plugin.updateMany({ where: { key }, data: { title } });
}
`),
      errors: [{ line: 9, column: 20, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "184 twin: a reset also writes the data column",
      code: saveWidgetOptions(`
  async reset(slug: string) {
    await this.prisma.widget.updateMany({ where: { slug }, data: { data: {} } });
  }
`),
      errors: [{ line: 14, column: 12, messageId: "sharedColumnLostUpdate" }],
    },
  ],
});
