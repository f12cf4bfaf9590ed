// Which files are production code: `nonProductionFiles` (default: tests, e2e, mocks, fixtures, seeders, scripts)
// matched against the path relative to the configuration's folder.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveConfig, type ConfigFile } from "../../server/src/engine/config";

const ROOT = "/home/dev/shop";

function ignoredBy(raw: ConfigFile, file: string, root = ROOT) {
  return resolveConfig(raw, undefined, root, [], {}).ignoredBy(`${root}/${file}`);
}

describe("nonProductionFiles", () => {
  test("by default, test, e2e, mock, fixture, seed and script files are not production code", () => {
    const nonProduction = [
      "src/orders/order.service.test.ts",
      "src/orders/order.service.spec.ts",
      "src/orders/__tests__/order.ts",
      "test/orders.e2e-spec.ts",
      "packages/api/tests/helpers.ts",
      "apps/web/e2e/checkout.ts",
      "web/src/__e2e__/api.servertest.ts",
      "src/__mocks__/redis.ts",
      "src/orders/fixtures/orders.ts",
      "test-utils/__fixtures__/users.ts",
      "prisma/seed.ts",
      "db/seed/users.ts",
      "db/seeds/01_users.ts",
      "src/database/seeders/user.seeder.ts",
      "apps/seed-data/src/test-sql.api.ts",
      "src/database/user.seed.ts",
      "scripts/backfill-balances.ts",
      "packages/api/scripts/reindex.ts",
      "tooling/export-site/copy-pages.ts",
      "packages/cli/src/commands/reset-password.ts",
      "src/cli/create-admin.command.ts",
    ];
    for (const file of nonProduction) assert.equal(ignoredBy({}, file), "nonProductionFiles", file);
  });

  test("production code, migrations and look-alike names are linted", () => {
    const production = [
      "src/orders/order.service.ts",
      "src/migrations/1700000000000-AddBalance.ts",
      "db/migrations/20240101_backfill.ts",
      "src/contest/entries.ts",
      "src/testing-center/booking.ts",
      "src/ab-tests/assign.ts",
      "src/seedling/grow.ts",
      "src/wallet/seed-phrase.ts",
      "src/catalog/seed-data.ts",
      "src/scripting/engine.ts",
      "src/latest.ts",
      "src/inspect.ts",
      "src/client/orders.ts",
      "src/tools.ts",
      "src/clinic/appointments.ts",
    ];
    for (const file of production) assert.equal(ignoredBy({}, file), undefined, file);
  });

  test("globs match relative to the configuration's folder, not the absolute path", () => {
    // A project checked out under a folder named test (or a temporary folder of a test suite) is still production.
    assert.equal(ignoredBy({}, "src/orders.ts", "/tmp/ci/test/shop"), undefined);
    assert.equal(ignoredBy({}, "src/orders.ts", "/home/dev/scripts/shop"), undefined);
    assert.equal(ignoredBy({}, "test/orders.ts", "/tmp/ci/test/shop"), "nonProductionFiles");
    // A file outside the folder matches no glob.
    assert.equal(resolveConfig({}, undefined, ROOT, [], {}).ignoredBy("/home/dev/other/test/orders.ts"), undefined);
  });

  test("the setting replaces the default list; [] lints every file", () => {
    assert.equal(ignoredBy({ nonProductionFiles: ["qa/**"] }, "qa/load.ts"), "nonProductionFiles");
    assert.equal(ignoredBy({ nonProductionFiles: ["qa/**"] }, "test/orders.ts"), undefined);
    assert.equal(ignoredBy({ nonProductionFiles: [] }, "test/orders.test.ts"), undefined);
    assert.equal(ignoredBy({ nonProductionFiles: [] }, "scripts/backfill.ts"), undefined);
  });

  test('"ignores" still applies, and is named as the reason when both match', () => {
    assert.equal(ignoredBy({ nonProductionFiles: [] }, "node_modules/x/test/a.ts"), "ignores");
    assert.equal(ignoredBy({ ignores: ["test/legacy/**"] }, "test/legacy/a.ts"), "ignores");
    const config = resolveConfig({}, undefined, ROOT, [], {});
    assert.equal(config.isIgnored(`${ROOT}/test/a.ts`), true);
    assert.equal(config.isIgnored(`${ROOT}/src/a.ts`), false);
  });

  test("a file importing a test runner is a test whatever its name; [] still lints it", () => {
    // Session 23: blurts-server's `mergeDuplicateSubscribers.integration.ts` imports describe/it from vitest.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-np-"));
    try {
      const write = (name: string, text: string) => fs.writeFileSync(path.join(root, name), text);
      write("ledger.integration.ts", 'import { describe, it, expect } from "vitest";\nimport { post } from "./ledger";\n');
      write("queue.check.ts", 'const { test } = require("node:test");\n');
      write("browser.flow.ts", 'import { test, expect } from "@playwright/test";\n');
      write("ledger.ts", '// runs with vitest in CI\nimport { sql } from "./db";\nexport const vitestMode = "off";\n');
      const config = (raw: ConfigFile) => resolveConfig(raw, undefined, root, [], {});
      for (const name of ["ledger.integration.ts", "queue.check.ts", "browser.flow.ts"])
        assert.equal(config({}).ignoredBy(path.join(root, name)), "nonProductionFiles", name);
      assert.equal(config({}).ignoredBy(path.join(root, "ledger.ts")), undefined);
      assert.equal(config({ nonProductionFiles: ["qa/**"] }).ignoredBy(path.join(root, "ledger.integration.ts")), "nonProductionFiles");
      assert.equal(config({ nonProductionFiles: [] }).ignoredBy(path.join(root, "ledger.integration.ts")), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test("a file that runs itself once (exits or disconnects when its function has finished) is a script; a server is not", () => {
    // Session 31: trigger.dev's `prisma/populate.ts` and OMS's root-level `create-migrations-table.ts`.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-np-"));
    try {
      const write = (name: string, text: string) => fs.writeFileSync(path.join(root, name), text);
      const body = `import { PrismaClient } from "@prisma/client";\nconst prisma = new PrismaClient();\n${"// padding\n".repeat(2_000)}`;
      write(
        "populate.ts",
        `${body}async function populate() {}\npopulate()\n  .catch((e) => {\n    console.error(e);\n    process.exit(1);\n  })\n  .finally(async () => {\n    await prisma.$disconnect();\n  });\n`,
      );
      write("register-hook.ts", "const main = async () => {};\nmain()\n  .catch(console.error)\n  .then(() => process.exit(0));\n");
      write("mark-applied.mjs", "async function run() {}\nrun().then(() => pool.end());\n");
      // A server exits only when starting fails; a worker's shutdown handler disconnects inside a callback.
      write("main.ts", "async function bootstrap() {}\nbootstrap().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});\n");
      write(
        "server.ts",
        'async function listen() {}\nlisten().then(() => console.log("up"));\nprocess.on("SIGTERM", () => process.exit(0));\n',
      );
      write(
        "temporal.ts",
        'run()\n  .then(() => {\n    console.log("registered worker");\n  })\n  .catch((err) => {\n    console.error(err);\n    process.exit(1);\n  });\n',
      );
      write("worker.ts", 'process.on("SIGTERM", () => {\n  prisma.$disconnect().then(() => process.exit(0));\n});\nstartWorker();\n');
      const config = (raw: ConfigFile) => resolveConfig(raw, undefined, root, [], {});
      for (const name of ["populate.ts", "register-hook.ts", "mark-applied.mjs"])
        assert.equal(config({}).ignoredBy(path.join(root, name)), "nonProductionFiles", name);
      for (const name of ["main.ts", "server.ts", "temporal.ts", "worker.ts"])
        assert.equal(config({}).ignoredBy(path.join(root, name)), undefined, name);
      assert.equal(config({ nonProductionFiles: [] }).ignoredBy(path.join(root, "populate.ts")), undefined);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
