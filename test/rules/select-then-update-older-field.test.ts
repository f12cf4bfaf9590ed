// select-then-update, session 14 (issue #15): judged-false findings of older sets still reported, each as a rule a
// reviewer states in one sentence, each next to a look-alike that stays reported.
// - A column's other writer that is called only by the reporting function, before its read, is an earlier step of the
//   same path: two runs of the path race as one path with itself (last writer wins), not as two paths. The same
//   writer also called by a route, or called after the read, stays another path's change that the write undoes.
// - A static method called only from tests or scripts (`CatalogService.patchOptions(…)`) is an operator's helper, as a
//   function is. The same method also called by a route stays reported.
// - An application lock held on every path to an awaited transaction call is held while its callback runs: the
//   callback's read-modify-write runs one caller at a time. The same transaction started without waiting for it
//   (`void prisma.$transaction(…)`), which the lock's release does not wait for, stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();`;

/**
 * A mirror sync job: `refreshMirror` fetches and records the fetch time as the mirror's `details` JSON, then the job
 * re-reads `details` and stores the synced branches beside the other keys. `afterRead` runs after that read.
 */
const syncJob = (beforeRead: string, afterRead = "") => `import { prisma } from "./db";

const refreshMirror = async (mirrorId: string) => {
  await prisma.mirror.update({ where: { id: mirrorId }, data: { details: { fetchedAt: new Date().toISOString() } } });
  return ["main", "release"];
};

export const mirrorSyncJob = {
  run: async (mirrorId: string) => {
    ${beforeRead}
    const current = await prisma.mirror.findUniqueOrThrow({ where: { id: mirrorId }, select: { details: true } });
    ${afterRead}
    await prisma.mirror.update({
      where: { id: mirrorId },
      data: { syncedAt: new Date(), details: { ...(current.details as Record<string, unknown>), branches } },
    });
  },
};
`;

/** A catalog service whose static method merges options into a product's stored settings. */
const catalogService = `import { prisma } from "./db";

export class CatalogService {
  static async patchOptions(productId: string, options: Record<string, unknown>) {
    const product = await prisma.product.findUniqueOrThrow({ where: { id: productId } });
    const settings = { ...(product.settings as Record<string, unknown>), ...options };
    await prisma.product.update({ where: { id: productId }, data: { settings } });
  }
}
`;

/** The product's stored settings also cleared by the catalog's reset, elsewhere. */
const RESET = `import { prisma } from "./db";
export async function resetProductSettings(id: string) {
  await prisma.product.update({ where: { id }, data: { settings: {} } });
}`;

/** An integration test that prepares a product through the static method. */
const CATALOG_TEST = `import { CatalogService } from "../../src/catalog";
export async function givenDiscountedProduct(id: string) {
  await CatalogService.patchOptions(id, { discount: 10 });
}`;

/**
 * A scheduled job that expires trial passes under a SET NX job lock, re-reading each pass in a Prisma transaction;
 * `run` is how the transaction is started.
 */
const expireTrialPasses = (run: string) => `import Redis from "ioredis";
import { PrismaClient } from "@prisma/client";
const redis = new Redis();
const prisma = new PrismaClient();

export async function expireTrialPasses(passIds: string[]) {
  const claimed = await redis.set("trial-pass-expiry-job", "1", "EX", 300, "NX");
  if (!claimed) return;
  try {
    ${run} prisma.$transaction(async (tx) => {
      for (const passId of passIds) {
        const pass = await tx.trialPass.findFirst({ where: { id: passId, active: true, endsAt: { lte: new Date() } } });
        if (!pass) continue;
        await tx.trialPass.update({ where: { id: passId }, data: { active: false } });
      }
    });
  } finally {
    await redis.del("trial-pass-expiry-job");
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the details' other writer is a step the job calls before its read: one path racing with itself",
      code: syncJob("const branches = await refreshMirror(mirrorId);"),
      files: { "src/db.ts": PRISMA },
    },
    {
      name: "a static method that merges a product's settings is called only by an integration test",
      code: catalogService,
      filename: "src/catalog.ts",
      files: { "src/db.ts": PRISMA, "src/reset.ts": RESET, "tests/integration/catalog.test.ts": CATALOG_TEST },
    },
    {
      name: "a job lock held around the awaited transaction covers the read-modify-write in its callback",
      code: expireTrialPasses("await"),
    },
  ],
  invalid: [
    {
      name: "the same transaction started without waiting for it: the job lock is released while it runs",
      code: expireTrialPasses("void"),
      errors: [{ line: 14, column: 15, messageId: "filterThenWrite" }],
    },
    {
      name: "the same step also run by a route: its write may land between the job's read and write",
      code: syncJob("const branches = await refreshMirror(mirrorId);").replace(
        "export const mirrorSyncJob",
        "export const POST = (mirrorId: string) => refreshMirror(mirrorId);\n\nexport const mirrorSyncJob",
      ),
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 15, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "the same step called after the job's read: its write is undone by the job's",
      code: syncJob("const branches = ['main'];", "await refreshMirror(mirrorId);"),
      files: { "src/db.ts": PRISMA },
      errors: [{ line: 13, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
    {
      name: "the same static method also called by a route: the settings reset may be undone",
      code: catalogService,
      filename: "src/catalog.ts",
      files: {
        "src/db.ts": PRISMA,
        "src/reset.ts": RESET,
        "tests/integration/catalog.test.ts": CATALOG_TEST,
        "src/routes.ts": `import { CatalogService } from "./catalog";
export const PATCH = (id: string, body: Record<string, unknown>) => CatalogService.patchOptions(id, body);`,
      },
      errors: [{ line: 7, column: 11, messageId: "sharedColumnLostUpdate" }],
    },
  ],
});
