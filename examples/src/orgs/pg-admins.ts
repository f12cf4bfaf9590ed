// Organisation admins on PostgreSQL through `pg`. `demote` can leave an organisation without an admin (write-skew:
// each request counts the admins, then demotes a different one); the other functions are the correct variants.
import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

/** ❌ Two admins demote each other at once: both count 2 admins, both demote, none is left. */
export async function demote(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
  });
}

/** ✅ The organisation row is locked before the count: the second demotion waits, then counts one admin. */
export async function demoteLocked(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    await tx.query("SELECT id FROM orgs WHERE id = $1 FOR UPDATE", [orgId]);
    const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
  });
}

/** ✅ SERIALIZABLE: one of two overlapping demotions is aborted and retried, and then counts one admin. */
export async function demoteSerializable(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(
    pool,
    async (tx) => {
      const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
      if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
      await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
    },
    { isolation: "serializable" },
  );
}
