import { eq, sql } from "drizzle-orm";
import { db } from "../db";
import { repoSettings } from "../db/schema";
// The next config version is the stored one plus one, computed in JavaScript and upserted: two saves that read the
// same version both write version + 1, and a stale scheduled run looks current.
export async function saveRepoSettings(repoId: string, settings: Record<string, unknown>) {
  const [current] = await db
    .select({ configVersion: repoSettings.configVersion })
    .from(repoSettings)
    .where(eq(repoSettings.repoId, repoId));
  const nextVersion = (current?.configVersion ?? 0) + 1;
  await db
    .insert(repoSettings)
    .values({ repoId, settings, configVersion: nextVersion })
    .onConflictDoUpdate({
      target: repoSettings.repoId,
      set: { settings, configVersion: nextVersion, updatedAt: new Date() },
    });
  return nextVersion;
}
// Correct twin: the version is bumped by the database in the conflict branch.
export async function saveRepoSettingsAtomic(repoId: string, settings: Record<string, unknown>) {
  await db
    .insert(repoSettings)
    .values({ repoId, settings, configVersion: 1 })
    .onConflictDoUpdate({
      target: repoSettings.repoId,
      set: { settings, configVersion: sql`${repoSettings.configVersion} + 1`, updatedAt: new Date() },
    });
}
