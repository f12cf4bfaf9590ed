// Session 27's held-out precision check (wt-judge). The FALSE shapes fixed, each written freshly:
// - a Sequelize helper whose options parameter is an intersection (`({ id } | { handle }) & { transaction: Transaction
//   }`) requiring the caller's transaction: its FOR NO KEY UPDATE read and its save run in that transaction, as they do
//   when the parameter's type is a plain object type;
// - a transaction that creates a row and then writes that same row again (`const studio = await Studio.create(…)`,
//   then `studio.save({ transaction })`, or a Prisma update `where: { id: created.id }`) before a slow call: the row is
//   new, invisible to every other transaction until COMMIT, so nobody waits on its lock;
// - a zustand store action that marks a busy key, then calls the store's own `get()` / `set(…)` before the `try` whose
//   `finally` unmarks it: those accessors read and replace the store's state and do not throw.
// - a Redis INCR in an `else if (!ok)` arm after `if (ok && strikes > 0)`: the arm is entered only when `ok` is false,
//   whatever count was read, so the increment (atomic in itself) does not depend on the read.
// Beside each, the nearest real mistake stays reported: the transaction optional in the intersection, the row written
// being one that was there before, an awaited call between the mark and the `try`, an increment whose arm tests the
// count read.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const MEMBER_FILES = {
  "src/db.ts": `import { Sequelize } from "sequelize";
export const sequelize = new Sequelize("postgres://localhost/guild");
`,
  "src/member.model.ts": `import { Model } from "sequelize";
export class Member extends Model {
  declare id: number;
  declare handle: string;
  declare badge: number;
  declare mentor: boolean;
}
`,
};

/**
 * A badge raise given the member by id or by handle; `transactionMember` is how the options type names the handle,
 * `queryTransaction` what the raw read's options pass.
 */
const raiseBadge = (
  transactionMember: string,
  queryTransaction = "transaction, ",
) => `import { QueryTypes, type Transaction } from "sequelize";
import { sequelize } from "./db";
import { Member } from "./member.model";

export async function raiseBadge({
  memberId,
  handle,
  badge,
  transaction,
}: ({ memberId: number; handle?: undefined } | { memberId?: undefined; handle: string }) & {
  badge: number;
  ${transactionMember};
}) {
  const [member] = await sequelize.query<Member>(
    \`SELECT M.* FROM "Members" M WHERE \${memberId ? "M.id = :memberId" : "M.handle = :handle"} FOR NO KEY UPDATE OF M LIMIT 1\`,
    { ${queryTransaction}replacements: { memberId, handle }, type: QueryTypes.SELECT, model: Member },
  );
  if (!member) return;
  if (member.badge >= badge) return;
  member.badge = badge;
  if (badge > 3) member.mentor = true;
  await member.save({ transaction });
}
`;

const STUDIO_FILES = {
  "src/studio.model.ts": `import { Model } from "sequelize";
export class Studio extends Model {
  declare id: number;
  declare ownerId: number;
  declare name: string;
  declare logoUrl: string | null;
  declare thumbnailUrl: string | null;
}
`,
};

/** A studio opened (or reopened) in a transaction that fetches a thumbnail; `load` is how the row is obtained. */
const openStudio = (load: string) => `import { Sequelize } from "sequelize";
import { Studio } from "./studio.model";
declare const sequelize: Sequelize;

export async function openStudio(ownerId: number, studioId: number, name: string, logoUrl?: string) {
  return sequelize.transaction(async (transaction) => {
    const studio = ${load};
    if (logoUrl) {
      studio.logoUrl = logoUrl;
      await studio.save({ transaction });
    }
    const res = await fetch(\`https://thumbs.example.com/v1/render?studio=\${studio.id}\`, { method: "POST" });
    const { url } = (await res.json()) as { url: string };
    return { studio, thumbnail: url };
  });
}
`;

/** A Prisma shipment booked in a transaction that then calls the carrier; `mark` is the write after the create. */
const bookShipment = (mark: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function bookShipment(orderId: string, parcelCount: number) {
  return prisma.$transaction(async (tx) => {
    const shipment = await tx.shipment.create({ data: { orderId, parcelCount, status: "DRAFT" } });
    ${mark};
    const res = await fetch("https://carrier.example.com/v3/labels", {
      method: "POST",
      body: JSON.stringify({ reference: shipment.id, parcels: parcelCount }),
    });
    return { shipment, label: await res.text() };
  });
}
`;

/** A webhook's failed deliveries counted in Redis: reset after a success, `arm` after a failure. */
const hookStrikes = (arm: string) => `import Redis from "ioredis";
const redis = new Redis();

export async function recordHookDelivery(hookId: string, ok: boolean, attempt: string) {
  const logKey = \`hook:\${hookId}:log\`;
  const strikesKey = \`hook:\${hookId}:strikes\`;
  let [, [, raw]] = (await redis.multi().lpush(logKey, attempt).get(strikesKey).exec()) as [unknown, [unknown, string | null]];
  let strikes = raw ? Number(raw) : 0;
  if (ok && strikes > 0) {
    await redis.del(strikesKey);
  } else if (${arm}) {
    strikes = await redis.incr(strikesKey);
    if (strikes >= 10) await redis.set(\`hook:\${hookId}:disabled\`, "1");
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a Redis INCR in an else-if arm whose test negates a conjunct of the if before it: entered whatever was read",
      code: hookStrikes("!ok"),
    },
    {
      name: "a raw FOR NO KEY UPDATE read and a save given the transaction an intersection-typed options parameter requires",
      files: MEMBER_FILES,
      filename: "src/badges.ts",
      code: raiseBadge("transaction: Transaction"),
    },
    {
      name: "the same with a plain options type: the raw query's `{ transaction }` is the caller's transaction",
      files: MEMBER_FILES,
      filename: "src/badges.ts",
      code: raiseBadge("transaction: Transaction").replace(
        "({ memberId: number; handle?: undefined } | { memberId?: undefined; handle: string }) & {",
        "{ memberId?: number; handle?: string;",
      ),
    },
  ],
  invalid: [
    {
      name: "the INCR in an arm that tests the count read: two failures can both pass the bound",
      code: hookStrikes("strikes < 5"),
      errors: [{ line: 12, column: 21, messageId: "redisCheckThenWrite" }],
    },
    {
      name: "the raw read not given the transaction: its lock ends with the statement, before the save",
      files: MEMBER_FILES,
      filename: "src/badges.ts",
      code: raiseBadge("transaction: Transaction", ""),
      errors: [{ line: 22, column: 9, messageId: "checkThenWriteDespiteLock" }],
    },
    {
      name: "the same with the transaction optional: a caller without one reads without a lock",
      files: MEMBER_FILES,
      filename: "src/badges.ts",
      code: raiseBadge("transaction?: Transaction"),
      errors: [{ line: 22, column: 9, messageId: "checkThenWriteDespiteLock" }],
    },
  ],
});

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "Sequelize: the studio this transaction created, saved again, then an HTTP call: nobody can see the new row",
      files: STUDIO_FILES,
      code: openStudio("await Studio.create({ ownerId, name }, { transaction })"),
    },
    {
      name: "Prisma: the shipment this transaction created, updated by the id the create returned, then an HTTP call",
      code: bookShipment(`await tx.shipment.update({ where: { id: shipment.id }, data: { status: "BOOKING" } })`),
    },
  ],
  invalid: [
    {
      name: "Sequelize: a studio that was there before, locked by its save, then an HTTP call",
      files: STUDIO_FILES,
      code: openStudio("(await Studio.findByPk(studioId, { transaction, rejectOnEmpty: true }))"),
      errors: [{ line: 12, column: 17, messageId: "rowLocksOnSomePaths" }],
    },
    {
      name: "Prisma: the order (a row that was there before) updated after the shipment's create, then an HTTP call",
      code: bookShipment(`await tx.order.update({ where: { id: orderId }, data: { status: "SHIPPING" } })`),
      errors: [{ line: 8, column: 17, messageId: "inLockingTransaction" }],
    },
  ],
});

/** A gallery store whose `load` marks a folder busy, then `between`, then loads in a try that unmarks it. */
const galleryStore = (between: string, wrap = (creator: string) => creator, factory = "zustand") => `import { create } from "${factory}";
import { persist } from "zustand/middleware";

declare function fetchPage(folderId: string, page: number): Promise<{ items: string[]; total: number }>;
const loadingFolders = new Set<string>();

interface GalleryState {
  folderId: string | null;
  loading: boolean;
  items: string[];
  load(folderId: string): Promise<void>;
}

export const useGallery = create<GalleryState>()(
  ${wrap(`(set, get) => ({
    folderId: null,
    loading: false,
    items: [],
    load: async (folderId: string) => {
      if (get().loading || loadingFolders.has(folderId)) return;
      loadingFolders.add(folderId);
      ${between}
      try {
        const page = await fetchPage(folderId, 1);
        set({ items: page.items, loading: false });
      } finally {
        loadingFolders.delete(folderId);
      }
    },
  })`)},
);
`;

const STORE_CALLS = `if (get().folderId !== folderId) set({ folderId });
      set((prev) => ({ ...prev, loading: true }));`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a zustand action that marks a folder busy, then reads and sets the store's state before the try",
      code: galleryStore(STORE_CALLS),
    },
    {
      name: "the same inside the persist middleware",
      code: galleryStore(STORE_CALLS, (creator) => `persist(${creator}, { name: "gallery" })`),
    },
  ],
  invalid: [
    {
      name: "an awaited prefetch between the mark and the try",
      code: galleryStore(`await fetchPage(folderId, 0);`),
      errors: [{ line: 21, column: 7, messageId: "releaseSkippable" }],
    },
    {
      name: "the same state calls in a store made by a project factory, whose accessors may do anything",
      code: galleryStore(STORE_CALLS, (creator) => creator, "./tiny-store"),
      files: {
        "src/tiny-store.ts":
          "export declare function create<T>(): (init: (set: (s: Partial<T> | ((p: T) => T)) => void, get: () => T) => T) => () => T;\n",
      },
      errors: [{ line: 21, column: 7, messageId: "releaseSkippable" }],
    },
  ],
});
