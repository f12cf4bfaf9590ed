// Migrations are applied once each, one at a time, by their runner: a data migration's read-then-write has no second
// run racing it, and a lock-order cycle among migrations alone never has both sides running. Look-alikes: the same
// code in a service class whose method happens to be called `up`, and a cycle between a migration and a service
// (the running application during a deploy), stay reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** A class whose `up` clamps every out-of-range duration, row by row; `heritage` makes it a migration or not. */
const clampDurations = (heritage: string) => `import { MigrationInterface, QueryRunner } from "typeorm";

export class ClampDurations${heritage} {
  async up(q: QueryRunner): Promise<void> {
    const rows = await q.query("SELECT id, duration FROM slot WHERE duration > 600");
    for (const row of rows) {
      const duration = Math.min(600, row.duration - 1);
      await q.query("UPDATE slot SET duration = $1 WHERE id = $2", [duration, row.id]);
    }
  }
}
`;

/** `up` renames roles, touching `role` rows, then `user_role` rows, then `role` rows again. */
const RENAME_ROLES = `  async up(q: QueryRunner): Promise<void> {
    await q.query("UPDATE role SET name = 'CORE' WHERE name = 'BASIC'");
    await q.query("UPDATE user_role SET role_id = 2 WHERE role_id = 1");
    await q.query("UPDATE role SET name = 'BASIC' WHERE name = 'USER'");
  }`;

/** A chunked backfill that advances its own progress row; `folder` puts it among migrations or jobs. */
const backfillProgress = (folder: string) => ({
  filename: `worker/${folder}/reindex-comments.ts`,
  code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export class ReindexComments {
  async run(): Promise<void> {
    const progress = await prisma.migrationProgress.findUniqueOrThrow({ where: { name: "reindex-comments" } });
    await prisma.migrationProgress.update({
      where: { name: "reindex-comments" },
      data: { cursor: progress.cursor + 500 },
    });
  }
}
`,
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a folder whose name ends in migrations (`backgroundMigrations/`): its runner claims one at a time",
      ...backfillProgress("backgroundMigrations"),
    },
    { name: "TypeORM: a migration class's `up` rewriting the rows it selected", code: clampDurations(" implements MigrationInterface") },
    {
      name: "Knex: an exported `up` in a migrations folder",
      filename: "db/migrations/20240101_clamp.ts",
      code: `import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  const plan = await knex("plan").where({ id: 1 }).first();
  await knex("plan").where({ id: 1 }).update({ seats: plan.seats + 5 });
}
`,
    },
  ],
  invalid: [
    {
      name: "the same backfill in a jobs folder: two workers can run it at once",
      ...backfillProgress("backgroundJobs"),
      errors: [{ line: 7, column: 11, messageId: "lostUpdate" }],
      output: backfillProgress("backgroundJobs").code.replace("cursor: progress.cursor + 500", "cursor: { increment: 500 }"),
    },
    {
      name: "the same code in a service class (a method named `up` is not a migration)",
      code: clampDurations(""),
      errors: [{ line: 8, column: 13, messageId: "lostUpdate" }],
    },
  ],
});

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "a migration whose statements take role and user_role rows in both orders",
      code: `import { MigrationInterface, QueryRunner } from "typeorm";

export class RenameRoles1700000000001 implements MigrationInterface {
${RENAME_ROLES}
}
`,
    },
  ],
  invalid: [
    {
      name: "the same statements in a service: two requests can run them at once",
      code: `import type { QueryRunner } from "typeorm";

export class RoleService {
${RENAME_ROLES}
}
`,
      errors: [{ line: 6, column: 11, messageId: "cycle" }],
    },
  ],
});

/** A count of a team's members checked against a minimum, then its guests removed. */
const REMOVE_GUESTS = `import { Pool } from "pg";
const pool = new Pool();

export async function removeGuests(teamId: string) {
  const { rows } = await pool.query("SELECT COUNT(*) AS n FROM members WHERE team_id = $1", [teamId]);
  if (Number(rows[0].n) <= 1) throw new Error("a team keeps one member");
  await pool.query("DELETE FROM members WHERE team_id = $1 AND role = 'guest'", [teamId]);
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "a count checked, then rows removed, in a file of a migrations folder",
      filename: "src/migrations/0005_remove_guests.ts",
      code: REMOVE_GUESTS,
    },
  ],
  invalid: [
    {
      name: "the same in a service: two requests can both pass the count",
      filename: "src/teams/remove-guests.ts",
      code: REMOVE_GUESTS,
      errors: [{ line: 7, column: 9, messageId: "shrinks" }],
    },
  ],
});
