// Session 24's held-out precision check (issue #15). The FALSE shapes fixed, each a valid case written freshly:
// - a read-through cache whose miss branch declares its value under the name the hit branch returns (a `const` of the
//   inner block shadows the outer one: the getter still returns what it found on a hit);
// - optimistic locking on the version the request carries (`where: { id, version: input.version }`, `data: { version:
//   input.version + 1 }`): it matches only while the row holds that version, so a change since the read fails it;
// - a read that leaves out by its key the row the write names (`WHERE id <> $1` among the others, `WHERE id = $1`):
//   the row written is not one read.
// Beside each, the nearest real bug stays reported, with the held-out set's two TRUE findings (a JSON list of
// per-entity settings replaced in JavaScript and written back whole).
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const PRISMA = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
`;

const KYSELY = `import { Kysely } from "kysely";
interface DB {
  report: { id: string; venueId: string; period: string; state: string; fileKey: string | null; doneAt: Date | null };
}
declare const db: Kysely<DB>;
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a cache miss whose branch declares its value under the name the hit branch returns",
      code: `import Redis from "ioredis";
const redis = new Redis();
declare function fetchAllowance(token: string): Promise<{ perHour: string }>;
export async function allowanceOf(token: string): Promise<number> {
  const key = \`allowance:\${token}\`;
  const raw = (await redis.get(key)) ?? "";
  const perHour = Number.parseInt(raw, 10);
  if (Number.isNaN(perHour)) {
    const answer = await fetchAllowance(token);
    const perHour = Number.parseInt(answer.perHour, 10);
    await redis.set(key, perHour, "EX", 600);
    return perHour;
  }
  return perHour;
}
`,
    },
    {
      name: "Prisma: the WHERE pins the version the request carries and the SET writes it plus one",
      code: `${PRISMA}
declare function mergeSettings(current: unknown, patch: unknown): object;
export async function editPlaylist(input: { id: string; version: number; patch: unknown }) {
  const playlist = await prisma.playlist.findUniqueOrThrow({ where: { id: input.id } });
  const settings = mergeSettings(playlist.settings, input.patch);
  return prisma.playlist.update({
    where: { id: input.id, version: input.version },
    data: { settings, version: input.version + 1 },
  });
}
`,
    },
    {
      name: "Kysely: a finished twin found among the other rows (id <> this one) copied onto this row",
      code: `${KYSELY}
declare function renderReport(venueId: string, period: string): Promise<string>;
export async function deliverReport(reportId: string) {
  const claimed = await db
    .updateTable("report")
    .set({ state: "running" })
    .where("id", "=", reportId)
    .where("state", "=", "queued")
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return;
  const twin = await db
    .selectFrom("report")
    .where("id", "!=", reportId)
    .where("venueId", "=", claimed.venueId)
    .where("period", "=", claimed.period)
    .where("state", "=", "done")
    .select("fileKey")
    .executeTakeFirst();
  let fileKey = twin?.fileKey ?? null;
  if (fileKey === null) fileKey = await renderReport(claimed.venueId, claimed.period);
  await db.updateTable("report").set({ state: "done", fileKey, doneAt: new Date() }).where("id", "=", reportId).execute();
}
`,
    },
  ],
  invalid: [
    {
      name: "Prisma: the version pinned but written back unchanged checks nothing a writer bumps",
      code: `${PRISMA}
declare function mergeSettings(current: unknown, patch: unknown): object;
export async function editPlaylist(input: { id: string; version: number; patch: unknown }) {
  const playlist = await prisma.playlist.findUniqueOrThrow({ where: { id: input.id } });
  const settings = mergeSettings(playlist.settings, input.patch);
  return prisma.playlist.update({
    where: { id: input.id, version: input.version },
    data: { settings, version: input.version },
  });
}
`,
      errors: [{ line: 8, column: 10, messageId: "lostUpdate" }],
    },
    {
      name: "Kysely: the twin looked up by this row's own id is the row written",
      code: `${KYSELY}
export async function finishReport(reportId: string) {
  const current = await db.selectFrom("report").where("id", "=", reportId).select(["fileKey"]).executeTakeFirst();
  if (!current) return;
  await db
    .updateTable("report")
    .set({ fileKey: \`\${current.fileKey ?? "report"}-final\` })
    .where("id", "=", reportId)
    .execute();
}
`,
      errors: [{ line: 10, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "Prisma: one entity's mapping replaced in a JSON list and the whole list written back (held-out TRUE)",
      code: `${PRISMA}
type Mapping = { entity: string; fields: Record<string, string> };
export async function putMapping(linkId: string, mapping: Mapping) {
  const link = await prisma.link.findUniqueOrThrow({ where: { id: linkId } });
  const mappings = ((link.mappings ?? []) as Mapping[]).filter((m) => m.entity !== mapping.entity);
  mappings.push(mapping);
  await prisma.link.update({ where: { id: linkId }, data: { mappings } });
}
`,
      errors: [{ line: 9, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "Prisma: a map of objects read before the transaction, one entry added and the map written inside (held-out TRUE)",
      code: `${PRISMA}
declare function withEntry(map: unknown, name: string, kind: string): object;
export async function addChannel(hubId: string, name: string, kind: string) {
  const hub = await prisma.hub.findUniqueOrThrow({ where: { id: hubId } });
  return prisma.$transaction(async (tx) => {
    const channels = hub.channels ?? {};
    return tx.hub.update({ where: { id: hubId }, data: { channels: withEntry(channels, name, kind) } });
  });
}
`,
      errors: [{ line: 9, column: 12, messageId: "lostUpdate" }],
    },
  ],
});
