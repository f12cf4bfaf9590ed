// inconsistent-lock-order: keys a helper takes one by one, listed by every caller in the order of a database query's
// `orderBy` (a relation loaded with its own `orderBy`, or a list query's), are in one canonical order, as keys sorted by
// one comparison are: two overlapping calls take shared rows in the same order. A local array filled with `push` in a
// loop over such rows keeps their order. The same helper fed rows in the order the request lists them stays reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { prismaProject } from "../helpers/prisma-project";
import { runRuleTests } from "../helpers/rule-tester";

const SCHEMA = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

model Playlist {
  id     String  @id
  tracks Track[]
}

model Track {
  id         String   @id
  playlistId String
  rank       Int
  playable   Boolean
  playlist   Playlist @relation(fields: [playlistId], references: [id])
}
`;

/** `collect` builds `ids` in `refresh`; `markUnplayable` updates the tracks one after the other in one batch. */
const playlist = (collect: string) => `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
declare function isAvailable(trackId: string): Promise<boolean>;

async function markUnplayable(ids: string[]) {
  await prisma.$transaction(ids.map((id) => prisma.track.update({ where: { id }, data: { playable: false } })));
}

export async function refresh(playlistId: string, requested: string[]) {
${collect}
  if (ids.length > 0) await markUnplayable(ids);
}
`;

const LOADED_WITH_ORDER = `  const list = await prisma.playlist.findUniqueOrThrow({
    where: { id: playlistId },
    include: { tracks: { orderBy: { rank: "asc" } } },
  });
  const ids: string[] = [];
  for (const track of list.tracks) {
    if (!(await isAvailable(track.id))) ids.push(track.id);
  }`;

/** The safe fix: the helper sorts the ids before the batch. */
const sorted = (code: string) => code.replace("$transaction(ids.map(", "$transaction([...ids].sort().map(");

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "a playlist's tracks loaded with their orderBy, the unavailable ones pushed in that order: every call lists shared tracks alike",
      root: prismaProject(SCHEMA),
      code: playlist(LOADED_WITH_ORDER),
    },
    {
      name: "the tracks listed by a findMany with an orderBy",
      root: prismaProject(SCHEMA),
      code: playlist(`  const tracks = await prisma.track.findMany({ where: { playlistId, playable: true }, orderBy: { rank: "asc" } });
  const ids: string[] = [];
  for (const track of tracks) if (!(await isAvailable(track.id))) ids.push(track.id);`),
    },
  ],
  invalid: [
    {
      name: "the same relation loaded without an orderBy: the database may return the rows in any order",
      root: prismaProject(SCHEMA),
      code: playlist(LOADED_WITH_ORDER.replace(`{ orderBy: { rank: "asc" } }`, "true")),
      errors: [{ line: 7, column: 45, messageId: "callerOrderLoop" }],
      output: sorted(playlist(LOADED_WITH_ORDER.replace(`{ orderBy: { rank: "asc" } }`, "true"))),
    },
    {
      name: "the ids pushed in the order the request lists them: two requests can list shared tracks in opposite orders",
      root: prismaProject(SCHEMA),
      code: playlist(`  const ids: string[] = [];
  for (const id of requested) if (!(await isAvailable(id))) ids.push(id);`),
      errors: [{ line: 7, column: 45, messageId: "callerOrderLoop" }],
      output: sorted(
        playlist(`  const ids: string[] = [];
  for (const id of requested) if (!(await isAvailable(id))) ids.push(id);`),
      ),
    },
    {
      name: "the ordered tracks pushed, then reversed before the call",
      root: prismaProject(SCHEMA),
      code: playlist(`${LOADED_WITH_ORDER}
  ids.reverse();`),
      errors: [{ line: 7, column: 45, messageId: "callerOrderLoop" }],
      output: sorted(
        playlist(`${LOADED_WITH_ORDER}
  ids.reverse();`),
      ),
    },
  ],
});
