// The editor on a monorepo: the packages' tsconfigs are one project, so a lock-order cycle across packages shows in
// the file that closes it in each package, linked to the rule's published documentation.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { docsUrl } from "../../rules/index";
import { CYCLE_IN_A, CYCLE_IN_B, monorepo } from "../cli/monorepo-fixture";
import { makeWorkspace, startInProcess, type Client } from "./harness";

let client: Client | undefined;
after(() => client?.dispose());

test("a lock-order cycle across two packages of a monorepo is reported in both packages' files", async () => {
  const root = monorepo();
  client = startInProcess();
  await client.initialize(root);
  const fileA = path.join(root, CYCLE_IN_A.file);
  await client.open(fileA);
  const cycle = (diagnostics: { code?: unknown }[]) => diagnostics.some((d) => d.code === "inconsistent-lock-order");
  const inA = await client.waitForDiagnostics(fileA, cycle);
  const positionOf = (at: string) => {
    const [line, column] = at.split(":").map(Number);
    return { line: line! - 1, character: column! - 1 };
  };
  const found = inA.find((d) => d.code === "inconsistent-lock-order")!;
  assert.deepEqual(found.range.start, positionOf(CYCLE_IN_A.at));
  assert.equal(found.codeDescription?.href, "https://github.com/locksmith-lint/locksmith/blob/main/rules/docs/inconsistent-lock-order.md");
  assert.equal(found.codeDescription?.href, docsUrl("inconsistent-lock-order"));
  const fileB = path.join(root, CYCLE_IN_B.file);
  await client.open(fileB);
  const inB = await client.waitForDiagnostics(fileB, cycle);
  assert.deepEqual(inB.find((d) => d.code === "inconsistent-lock-order")!.range.start, positionOf(CYCLE_IN_B.at));
});

test("in a monorepo each package's imports resolve by its own tsconfig, as in the CLI: a lock taken by a helper behind the package's alias is seen", async () => {
  // Both packages alias `~/*` to their own `app/`; `admin`'s tsconfig comes first. Through the first tsconfig's
  // options `~/inventory/stock` would not resolve from `shop`, and the helper's FOR UPDATE would go unseen.
  const tsconfig = (module: string) =>
    JSON.stringify({
      compilerOptions: { strict: true, module, moduleResolution: module === "esnext" ? "bundler" : module, paths: { "~/*": ["./app/*"] } },
      include: ["app"],
    });
  const root = makeWorkspace({
    "package.json": JSON.stringify({ name: "stores", private: true }),
    "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n",
    "apps/admin/package.json": JSON.stringify({ name: "admin", type: "module" }),
    "apps/admin/tsconfig.json": tsconfig("nodenext"),
    "apps/admin/app/index.ts": `export const version = "1";\n`,
    "apps/shop/package.json": JSON.stringify({ name: "shop", type: "module" }),
    "apps/shop/tsconfig.json": tsconfig("esnext"),
    "apps/shop/app/db.ts": `import { PrismaClient } from "@prisma/client";\nexport const prisma = new PrismaClient();\n`,
    "apps/shop/app/inventory/stock.ts": [
      "export async function holdStock(trx: any, stockId: string) {",
      '  return trx.$queryRaw`SELECT * FROM "Stock" WHERE id = ${stockId} FOR UPDATE`;',
      "}",
      "export async function peekStock(trx: any, stockId: string) {",
      '  return trx.$queryRaw`SELECT * FROM "Stock" WHERE id = ${stockId}`;',
      "}",
      "",
    ].join("\n"),
    "apps/shop/app/shelves/service.ts": [
      'import { holdStock, peekStock } from "~/inventory/stock";',
      'import { prisma } from "~/db";',
      "export async function moveLocked(stockId: string, units: number) {",
      "  return prisma.$transaction(async (trx) => {",
      "    await holdStock(trx, stockId);",
      "    const slot = await trx.shelfSlot.findFirst({ where: { stockId } });",
      "    await trx.shelfSlot.update({ where: { id: slot.id }, data: { units: slot.units + units } });",
      "  });",
      "}",
      "export async function movePeeked(stockId: string, units: number) {",
      "  return prisma.$transaction(async (trx) => {",
      "    await peekStock(trx, stockId);",
      "    const slot = await trx.shelfSlot.findFirst({ where: { stockId } });",
      "    await trx.shelfSlot.update({ where: { id: slot.id }, data: { units: slot.units + units } });",
      "  });",
      "}",
      "",
    ].join("\n"),
  });
  client?.dispose();
  client = startInProcess();
  await client.initialize(root);
  const service = path.join(root, "apps/shop/app/shelves/service.ts");
  await client.open(service);
  const lostUpdateLines = (diagnostics: { code?: unknown; range: { start: { line: number } } }[]) =>
    diagnostics.filter((d) => d.code === "select-then-update").map((d) => d.range.start.line + 1);
  const published = await client.waitForDiagnostics(service, (d) => lostUpdateLines(d).length > 0);
  assert.deepEqual(lostUpdateLines(published), [14]);
});
