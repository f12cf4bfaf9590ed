import { PrismaClient, type Prisma } from "@prisma/client";
const prisma = new PrismaClient();
const SINGLETON = 1;
type EngineKeys = Record<string, string>;
// The pasted keys of every engine sit in one JSON column: the map is read, one engine's key merged in memory, and the
// map written back. Two tabs saving two engines' keys both read the old map, and the later save loses the other key.
export async function saveEngineKey(engine: string, key: string) {
  const row = await prisma.appConfig.findUnique({ where: { id: SINGLETON }, select: { engineKeys: true } });
  const keys: EngineKeys = { ...((row?.engineKeys as EngineKeys | null) ?? {}) };
  if (key.trim()) keys[engine] = key.trim();
  else delete keys[engine];
  const value = keys as unknown as Prisma.InputJsonValue;
  await prisma.appConfig.upsert({
    where: { id: SINGLETON },
    update: { engineKeys: value },
    create: { id: SINGLETON, engineKeys: value },
  });
}
// Correct: the database merges the one path, leaving every other engine's key as the row has it.
export async function saveEngineKeyInPlace(engine: string, key: string) {
  await prisma.$executeRaw`
    UPDATE app_config SET engine_keys = jsonb_set(COALESCE(engine_keys, '{}'::jsonb), ARRAY[${engine}], to_jsonb(${key}::text), true)
    WHERE id = ${SINGLETON}`;
}
