// write-skew's duplicate check outside Prisma: a lookup by columns whose "found" branch leaves, then an insert of the
// same values, where the project declares the table (a Drizzle table, a TypeORM entity, SQL DDL in a migration) with
// no unique index made of the looked-up columns. Look-alikes: a unique index on exactly those columns or on some of
// them, a composite primary key, one added only by a migration (TypeScript or `.sql`), and a table declared nowhere.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";
import { sqlProject } from "../helpers/sql-project";

// ---------------------------------------------------------------------------------------------------------------
// Drizzle.

/** The `invites` table; `extra` is the third argument of pgTable, `emailChain` what follows `text("email")`. */
const drizzleSchema = (extra = "", emailChain = ".notNull()") => ({
  "src/db/schema.ts": `import { pgTable, primaryKey, serial, text, unique, uniqueIndex, integer } from "drizzle-orm/pg-core";

export const invites = pgTable(
  "team_invites",
  {
    id: serial("id").primaryKey(),
    teamId: integer("team_id").notNull(),
    email: text("email")${emailChain},
    role: text("role").notNull(),
    token: text("token").notNull(),
  }${extra ? `,\n  ${extra}` : ""}
);
`,
});

const DRIZZLE_INVITE = `import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { db } from "./db";
import { invites } from "./db/schema";

export async function invite(teamId: number, email: string, role: string) {
  const [existing] = await db.select().from(invites).where(and(eq(invites.teamId, teamId), eq(invites.email, email))).limit(1);
  if (existing) return existing;
  const [created] = await db.insert(invites).values({ teamId, email, role, token: randomUUID() }).returning();
  return created;
}
`;

const DRIZZLE_DUPLICATE = {
  line: 9,
  column: 27,
  messageId: "duplicate",
  data: { fields: "`teamId`, `email`", checkLine: 7, write: "`db.insert(invites)….returning(…)`", line: 9 },
};

// ---------------------------------------------------------------------------------------------------------------
// TypeORM: an entity, and a service looking up by raw SQL then inserting.

const entity = (classDecorators = "", emailDecorator = "@Column()") => ({
  "src/invitation.entity.ts": `import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from "typeorm";

@Entity("invitations")
${classDecorators}
export class Invitation {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: "team_id" })
  teamId!: number;

  ${emailDecorator}
  email!: string;

  @Column()
  role!: string;
}
`,
});

const TYPEORM_INVITE = `import { DataSource } from "typeorm";

export class InvitationService {
  constructor(private readonly dataSource: DataSource) {}

  async invite(teamId: number, email: string, role: string) {
    const found = await this.dataSource.query("SELECT id FROM invitations WHERE team_id = $1 AND email = $2", [teamId, email]);
    if (found.length > 0) return found[0].id;
    const created = await this.dataSource.query("INSERT INTO invitations (team_id, email, role) VALUES ($1, $2, $3) RETURNING id", [teamId, email, role]);
    return created[0].id;
  }
}
`;

const TYPEORM_DUPLICATE = {
  line: 9,
  column: 27,
  messageId: "duplicate",
  data: {
    fields: "`team_id`, `email`",
    checkLine: 7,
    write: "`INSERT INTO invitations (team_id, email, role) VALUES ($1, $2, $3) …`",
    line: 9,
  },
};

/** A TypeORM migration adding a unique index to the table. */
const MIGRATION = {
  "src/migrations/1700000000000-InvitationUnique.ts": `import { MigrationInterface, QueryRunner } from "typeorm";

export class InvitationUnique1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE UNIQUE INDEX "IDX_invitation_team_email" ON "invitations" ("team_id", "email") \`);
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`DROP INDEX "IDX_invitation_team_email"\`);
  }
}
`,
};

// ---------------------------------------------------------------------------------------------------------------
// pg and `.sql` migrations.

const PG_INVITE = `import { Pool } from "pg";
const pool = new Pool();

export async function invite(teamId: number, email: string, role: string) {
  const { rows } = await pool.query("SELECT id FROM invitations WHERE team_id = $1 AND email = $2", [teamId, email]);
  if (rows.length > 0) return rows[0].id;
  const created = await pool.query("INSERT INTO invitations (team_id, email, role) VALUES ($1, $2, $3) RETURNING id", [teamId, email, role]);
  return created.rows[0].id;
}
`;

const PG_DUPLICATE = {
  line: 7,
  column: 25,
  messageId: "duplicate",
  data: {
    fields: "`team_id`, `email`",
    checkLine: 5,
    write: "`INSERT INTO invitations (team_id, email, role) VALUES ($1, $2, $3) …`",
    line: 7,
  },
};

const CREATE_TABLE = (constraint = "") => `-- invitations
CREATE TABLE IF NOT EXISTS public.invitations (
  id SERIAL PRIMARY KEY,
  team_id INTEGER NOT NULL REFERENCES teams (id),
  email TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member'${constraint ? `,\n  ${constraint}` : ""}
);
`;

// MySQL, whose insert may be spelt `VALUE (…)`: the key of the inserted row is set by the caller.
const MYSQL_MARK = `import mysql from "mysql2/promise";
const pool = mysql.createPool({ database: "ledger" });

export async function markSettled(day: number): Promise<void> {
  const [rows]: any = await pool.query("SELECT tag FROM settled_days WHERE day = ?", [day]);
  if (!rows.length) {
    const tag = Buffer.alloc(16);
    tag.writeInt32LE(day);
    await pool.query("INSERT INTO settled_days(tag, day, total) VALUE (?, ?, ?)", [tag, day, 0]);
  }
}
`;

const SETTLED_DAYS =
  "CREATE TABLE settled_days (\n  tag binary(16) NOT NULL,\n  day int NOT NULL,\n  total float,\n  PRIMARY KEY (tag),\n  INDEX (day)\n);\n";

runRuleTests(writeSkew, {
  valid: [
    // Drizzle.
    {
      name: "Drizzle: uniqueIndex().on(t.teamId, t.email) in the array form of pgTable's third argument",
      files: drizzleSchema(`(t) => [uniqueIndex("team_invites_team_email").on(t.teamId, t.email)]`),
      code: DRIZZLE_INVITE,
    },
    {
      name: "Drizzle: unique().on(…) in the object form of pgTable's third argument",
      files: drizzleSchema(`(t) => ({ teamEmail: unique("team_invites_team_email").on(t.teamId, t.email) })`),
      code: DRIZZLE_INVITE,
    },
    {
      name: "Drizzle: a composite primary key over (teamId, email)",
      files: drizzleSchema(`(t) => [primaryKey({ columns: [t.teamId, t.email] })]`),
      code: DRIZZLE_INVITE,
    },
    {
      name: "Drizzle: email alone is unique (.unique() on the column): the lookup pins it",
      files: drizzleSchema("", ".notNull().unique()"),
      code: DRIZZLE_INVITE,
    },
    {
      name: "Drizzle: the unique index is added by a SQL migration only",
      files: {
        ...drizzleSchema(),
        "src/migrations/0002_invites_unique.ts": `import { sql } from "drizzle-orm";
export const up = sql\`CREATE UNIQUE INDEX team_invites_team_email ON team_invites USING btree (team_id, lower(email))\`;
`,
      },
      code: DRIZZLE_INVITE,
    },
    { name: "Drizzle: the table is declared nowhere the project shows", code: DRIZZLE_INVITE },
    {
      name: "Drizzle: the same check and insert in a file of a migrations folder, applied once by its runner",
      files: drizzleSchema(),
      filename: "src/migrations/0004_seed_invites.ts",
      code: DRIZZLE_INVITE.replace(/"\.\/db/g, '"../db'),
    },
    {
      // Two callers racing on one email insert the same (teamId, email): the second insert fails.
      name: "Drizzle: a lookup by email only, under a unique index over (teamId, email), both of which the insert sets from its arguments",
      files: drizzleSchema(`(t) => [uniqueIndex("team_invites_team_email").on(t.teamId, t.email)]`),
      code: DRIZZLE_INVITE.replace("where(and(eq(invites.teamId, teamId), eq(invites.email, email)))", "where(eq(invites.email, email))"),
    },
    {
      name: "Drizzle: the insert writes another email than the one looked up",
      files: drizzleSchema(),
      code: DRIZZLE_INVITE.replace("values({ teamId, email, role,", "values({ teamId, email: email.toLowerCase(), role,"),
    },
    {
      name: "Drizzle: the duplicate-key error is swallowed by onConflictDoNothing",
      files: drizzleSchema(),
      code: DRIZZLE_INVITE.replace(".returning()", ".onConflictDoNothing().returning()"),
    },
    // TypeORM.
    { name: "TypeORM: @Unique([teamId, email]) on the entity", files: entity(`@Unique(["teamId", "email"])`), code: TYPEORM_INVITE },
    {
      name: "TypeORM: @Index([teamId, email], { unique: true }) on the entity",
      files: entity(`@Index(["teamId", "email"], { unique: true })`),
      code: TYPEORM_INVITE,
    },
    { name: "TypeORM: @Column({ unique: true }) on email", files: entity("", "@Column({ unique: true })"), code: TYPEORM_INVITE },
    { name: "TypeORM: the unique index is added by a migration", files: { ...entity(), ...MIGRATION }, code: TYPEORM_INVITE },
    { name: "TypeORM: no entity or DDL declares the table", code: TYPEORM_INVITE },
    // SQL files.
    {
      name: "SQL: UNIQUE (team_id, email) in CREATE TABLE",
      root: sqlProject({ "db/migrations/001_invitations.sql": CREATE_TABLE("CONSTRAINT invitations_team_email UNIQUE (team_id, email)") }),
      code: PG_INVITE,
    },
    {
      name: "SQL: a later migration adds the unique constraint with ALTER TABLE",
      root: sqlProject({
        "db/migrations/001_invitations.sql": CREATE_TABLE(),
        "db/migrations/007_invitations_unique.sql":
          'ALTER TABLE ONLY "public"."invitations"\n  ADD CONSTRAINT "invitations_team_email" UNIQUE ("team_id", "email");\n',
      }),
      code: PG_INVITE,
    },
    {
      name: "SQL: a unique index on the email alone",
      root: sqlProject({
        "db/migrations/001_invitations.sql": `${CREATE_TABLE()}CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS invitations_email ON invitations (email);\n`,
      }),
      code: PG_INVITE,
    },
    {
      name: "SQL: the insert is INSERT IGNORE, which turns the second insert of a key into nothing",
      root: sqlProject({
        "db/migrations/001_invitations.sql": `${CREATE_TABLE()}CREATE INDEX invitations_team_email ON invitations (team_id, email);\n`,
      }),
      code: PG_INVITE.replace("INSERT INTO", "INSERT IGNORE INTO"),
    },
    {
      // Two callers that both found no row for the day insert the same key (made by the caller): the second fails.
      name: "SQL: MySQL's `INSERT … VALUE (…)` sets the primary key from the caller's value, as `VALUES` does",
      root: sqlProject({ "db/schema.sql": SETTLED_DAYS }),
      code: MYSQL_MARK,
    },
    {
      name: "SQL: the .sql files create other tables only",
      root: sqlProject({ "schema.sql": "CREATE TABLE teams (id SERIAL PRIMARY KEY);\n" }),
      code: PG_INVITE,
    },
  ],
  invalid: [
    {
      name: "Drizzle: the table has a serial primary key and no unique index over (teamId, email): both insert",
      files: drizzleSchema(`(t) => [index("team_invites_team").on(t.teamId)]`),
      code: DRIZZLE_INVITE,
      errors: [DRIZZLE_DUPLICATE],
    },
    {
      name: "Drizzle: a unique index over teamId and the token made fresh for each row does not refuse the second insert",
      files: drizzleSchema(`(t) => ({ teamToken: uniqueIndex("team_invites_team_token").on(t.teamId, t.token) })`),
      code: DRIZZLE_INVITE,
      errors: [DRIZZLE_DUPLICATE],
    },
    {
      name: "TypeORM: the entity declares a primary key only: two raw inserts of one invitation",
      files: entity(),
      code: TYPEORM_INVITE,
      errors: [TYPEORM_DUPLICATE],
    },
    {
      name: "TypeORM: a non-unique @Index([teamId, email]) does not refuse the second insert",
      files: entity(`@Index(["teamId", "email"])`),
      code: TYPEORM_INVITE,
      errors: [TYPEORM_DUPLICATE],
    },
    {
      name: "SQL: CREATE TABLE with a serial primary key and a plain index: both insert",
      root: sqlProject({
        "db/migrations/001_invitations.sql": `${CREATE_TABLE()}CREATE INDEX invitations_team_email ON invitations (team_id, email);\n`,
      }),
      code: PG_INVITE,
      errors: [PG_DUPLICATE],
    },
    {
      name: "SQL: MySQL's `INSERT … VALUE (…)` with the primary key made by the database for each row: both insert",
      root: sqlProject({ "db/schema.sql": SETTLED_DAYS }),
      code: MYSQL_MARK.replace("VALUE (?, ?, ?)", "VALUE (UUID_TO_BIN(UUID()), ?, ?)").replace("[tag, day, 0]", "[day, 0]"),
      errors: [
        {
          line: 9,
          column: 11,
          messageId: "duplicate",
          data: {
            fields: "`day`",
            checkLine: 5,
            write: "`INSERT INTO settled_days(tag, day, total) VALUE (UUID_TO_BIN(UUID()…`",
            line: 9,
          },
        },
      ],
    },
  ],
});
