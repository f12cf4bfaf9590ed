// Imports are followed as the importing package builds them, so a lock taken by a helper in another file is seen:
// in a monorepo each package resolves by its own tsconfig (its `paths` aliases), not by the first package's; in a
// folder linted without a tsconfig, a package's files resolve by the tsconfig above them; and a relative import that
// the options cannot resolve (`./x` without an extension in an ES module under NodeNext) is resolved as a bundler
// would. Each layout has a look-alike whose helper takes no lock: that one is still reported.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { runCli, tempProject } from "./helpers";

/** The helper: locks the stock row on the transaction it is given (or, `locking` false, only reads it). */
const helper = (locking: boolean) => `export async function holdStock(trx: any, stockId: string) {
  const found = await trx.$queryRaw\`SELECT * FROM "Stock" WHERE id = \${stockId}${locking ? " FOR UPDATE" : ""}\`;
  return found[0];
}
`;

/** A service that, inside a Prisma transaction, calls the helper (imported by `specifier`) and then moves units. */
const service = (specifier: string) => `import { holdStock } from "${specifier}";
import { prisma } from "${specifier.replace(/stock-lock$/, "db")}";

export async function moveUnits(stockId: string, shelfId: string, units: number) {
  return prisma.$transaction(async (trx) => {
    await holdStock(trx, stockId);
    const slot = await trx.shelfSlot.findFirst({ where: { stockId, shelfId } });
    if (!slot) throw new Error("no slot");
    await trx.shelfSlot.update({ where: { id: slot.id }, data: { units: slot.units + units } });
  });
}
`;

const DB = `import { PrismaClient } from "@prisma/client";\nexport const prisma = new PrismaClient();\n`;

/** `file line rule` of every message of a JSON report, paths relative to `root`. */
function findings(stdout: string, root: string): string[] {
  const results = JSON.parse(stdout) as Array<{ filePath: string; messages: Array<{ line: number; ruleId: string }> }>;
  return results.flatMap((r) =>
    r.messages.map((m) => `${path.relative(root, r.filePath).split(path.sep).join("/")} ${m.line} ${m.ruleId}`),
  );
}

/**
 * A pnpm monorepo of two packages whose tsconfigs both alias `~/*` to their own source folder; the first package
 * (`admin`) builds with NodeNext, the second (`shop`, an ES module) with a bundler, and imports the helper through
 * its alias or an extensionless relative path.
 */
function monorepo(specifier: string, locking: boolean): string {
  const tsconfig = (moduleResolution: string, module: string) =>
    JSON.stringify({ compilerOptions: { strict: true, module, moduleResolution, paths: { "~/*": ["./app/*"] } }, include: ["app"] });
  return tempProject({
    "package.json": JSON.stringify({ name: "stores", private: true }),
    "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n",
    "apps/admin/package.json": JSON.stringify({ name: "admin", type: "module" }),
    "apps/admin/tsconfig.json": tsconfig("nodenext", "nodenext"),
    "apps/admin/app/index.ts": `export const version = "1";\n`,
    "apps/shop/package.json": JSON.stringify({ name: "shop", type: "module" }),
    "apps/shop/tsconfig.json": tsconfig("bundler", "esnext"),
    "apps/shop/app/db.ts": DB,
    "apps/shop/app/inventory/stock-lock.ts": helper(locking),
    "apps/shop/app/shelves/service.ts": service(specifier),
  });
}

/** The same package with no tsconfig at the root and no workspace file: linted as a folder. */
function folder(locking: boolean, withTsconfig: boolean): string {
  return tempProject({
    "package.json": JSON.stringify({ name: "stores", private: true }),
    "apps/shop/package.json": JSON.stringify({ name: "shop", type: "module" }),
    ...(withTsconfig
      ? { "apps/shop/tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, module: "esnext", moduleResolution: "bundler" } }) }
      : {}),
    "apps/shop/app/db.ts": DB,
    "apps/shop/app/inventory/stock-lock.ts": helper(locking),
    "apps/shop/app/shelves/service.ts": service("../inventory/stock-lock"),
  });
}

const REPORTED = ["apps/shop/app/shelves/service.ts 9 select-then-update"];

describe("imports resolve as the importing package builds them (a helper's row lock is seen)", () => {
  for (const specifier of ["~/inventory/stock-lock", "../inventory/stock-lock"]) {
    test(`a monorepo package importing the helper as "${specifier}" under its own tsconfig`, async () => {
      const valid = monorepo(specifier, true);
      const clean = await runCli(["lint", "-f", "json"], valid);
      assert.equal(clean.stderr, "");
      assert.deepEqual(findings(clean.stdout, valid), []);
      const invalid = monorepo(specifier, false);
      const reported = await runCli(["lint", "-f", "json"], invalid);
      assert.deepEqual(findings(reported.stdout, invalid), REPORTED);
    });
  }

  for (const withTsconfig of [true, false]) {
    test(`a folder with no root tsconfig, the package ${withTsconfig ? "with" : "without"} one: extensionless relative imports`, async () => {
      const valid = folder(true, withTsconfig);
      const clean = await runCli(["lint", "-f", "json"], valid);
      assert.deepEqual(findings(clean.stdout, valid), []);
      const invalid = folder(false, withTsconfig);
      const reported = await runCli(["lint", "-f", "json"], invalid);
      assert.deepEqual(findings(reported.stdout, invalid), REPORTED);
    });
  }
});
