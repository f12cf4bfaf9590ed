import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const drizzleTemplates = `import { and, eq, ne } from "drizzle-orm";
import { boolean, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/node-postgres";
export const teams = pgTable("teams", { id: text("id").primaryKey() });
export const templates = pgTable("templates", { id: text("id").primaryKey(), teamId: text("team_id"), isDefault: boolean("is_default") });
const db = drizzle(process.env.DATABASE_URL!);
`;

/** API keys counted for `workspaceId`, then one inserted with `workspaceId` set to `target`, a const alias of `aliased`. */
const keyUnderAlias = (aliased: string) => `import { prisma } from "@/lib/prisma";
export async function createKey(workspaceId: string, targetId: string, name: string) {
  return prisma.$transaction(async (tx) => {
    const target = ${aliased};
    const total = await tx.apiKey.count({ where: { workspaceId } });
    if (total >= 10) throw new Error("API key limit reached");
    return tx.apiKey.create({ data: { workspaceId: target, name } });
  });
}`;

/** A canvas soft-deleted after `check` (bound to `canvas`) and `guard`. */
const softDeleteCanvas = (check: string, guard: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function deleteCanvas(uid: string, canvasId: string) {
  const canvas = await ${check};
  ${guard}
  await prisma.canvas.update({ where: { canvasId }, data: { deletedAt: new Date() } });
}`;

/** A NestJS service dropping a build artifact whose upload failed, once `check` (bound to `cached`) found the build's artifacts. */
const dropArtifact = (check: string) => `import { Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class BuildCacheService {
  constructor(private readonly prisma: PrismaService) {}
  async dropFailedArtifact(projectId: string, buildHash: string, failedUrl: string) {
    const cached = await this.prisma.buildArtifact.findFirst({ where: ${check} });
    if (!cached) return;
    await this.prisma.buildArtifact.deleteMany({ where: { projectId, buildHash, url: failedUrl } });
  }
}`;

/** Seats sold by a service whose transaction helper passes the options constant (asking for `level`) to `$transaction`. */
const seatsUnderConstantOptions = (level: string) => `import { Injectable } from "@nestjs/common";
import { Prisma } from "@prisma/client";
import { PrismaService } from "../prisma/prisma.service";

const BOOKING_TX = { isolationLevel: Prisma.TransactionIsolationLevel.${level}, timeout: 5000 } as const;

@Injectable()
export class SeatService {
  constructor(private readonly prisma: PrismaService) {}

  private async inBookingTransaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work, BOOKING_TX);
  }

  async book(showId: string, userId: string) {
    return this.inBookingTransaction(async (tx) => {
      const sold = await tx.seat.count({ where: { showId } });
      if (sold >= 100) throw new Error("sold out");
      return tx.seat.create({ data: { showId, userId } });
    });
  }
}
`;

/** A cart limited to 20 items, checked then grown in one transaction on `client`, with `lock` before the count. */
const cartLimit = (lock: string) => `import type { PoolClient } from "pg";
export async function addItem(client: PoolClient, cartId: string, sku: string, bulk: boolean) {
  await client.query("BEGIN");
  ${lock}
  const { rows } = await client.query("SELECT count(*)::int AS n FROM cart_items WHERE cart_id = $1", [cartId]);
  if (rows[0].n < 20) await client.query("INSERT INTO cart_items (cart_id, sku) VALUES ($1, $2)", [cartId, sku]);
  await client.query("COMMIT");
}
`;

/** Overdue drafts counted, then (when asked to) closed by an UPDATE whose WHERE is `where`. */
const closeOverdueDrafts = (where: string) => `import type { Pool } from "pg";

export async function closeOverdueDrafts(pool: Pool, apply: boolean, draftId: string): Promise<number> {
  const { rows } = await pool.query("SELECT count(*) AS n FROM drafts WHERE status = 'open' AND due_at < now()");
  if (rows[0].n > 1 && apply) {
    await pool.query("UPDATE drafts SET status = 'closed' WHERE ${where}", [draftId]);
  }
  return rows[0].n;
}
`;

/** A team's active projects counted, then archived by an updateMany whose where is `where`. */
const archiveProjects = (where: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function archiveTeamProjects(teamId: string, projectId: string) {
  const active = await prisma.project.count({ where: { teamId, archived: false } });
  if (active <= 1) throw new Error("keep one project");
  await prisma.project.updateMany({ where: ${where}, data: { archived: true } });
}
`;

/** Open seats counted, then one claimed by an UPDATE whose WHERE is `where`. */
const claimSeat = (where: string) => `import type { Pool } from "pg";

export async function claimSeat(pool: Pool, sessionId: string, seatId: string): Promise<void> {
  const { rows } = await pool.query("SELECT count(*) AS n FROM seats WHERE session_id = $1 AND status = 'open'", [sessionId]);
  if (rows[0].n > 1) {
    await pool.query("UPDATE seats SET taken = taken + 1, status = 'full' WHERE ${where}", [seatId]);
  }
}
`;

/** Pending invites of archived teams counted (a join), then expired by an UPDATE … FROM whose WHERE is `where`. */
const expireInvites = (where: string) => `import type { Pool } from "pg";

export async function expireOrphanInvites(pool: Pool, fix: boolean): Promise<void> {
  const { rows } = await pool.query(\`
    SELECT count(*) AS n FROM invites
    INNER JOIN teams ON teams.id = invites.team_id AND teams.archived_at IS NOT NULL
    WHERE invites.status = 'pending'\`);
  if (rows[0].n > 0 && fix) {
    await pool.query(\`UPDATE invites SET status = 'expired' FROM teams WHERE ${where}\`);
  }
}
`;

/** An organizer's overlapping booking looked up with `where`, then a booking inserted by `insert` (one statement). */
const bookSlot = (where: string, insert: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function book(organizerId: number, startsAt: Date, endsAt: Date, guest: string) {
  const clash = await prisma.booking.findFirst({ where: ${where} });
  if (clash) throw new Error("slot taken");
  return ${insert};
}`;
const OVERLAP = "{ organizerId, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } }";
const CREATE = "prisma.booking.create({ data: { organizerId, startsAt, endsAt, guest } })";

runRuleTests(writeSkew, {
  valid: [
    {
      // "At most one with this key" is a unique index's job: an equality lookup before an insert is not judged here,
      // nor a one-sided range (a rate limit by time), with the insert in the transaction's callback or not.
      name: "an emptiness test of an equality or one-sided filter before an insert (a key, a recent row), not an overlap",
      code:
        bookSlot("{ organizerId, startsAt }", CREATE) +
        "\n" +
        bookSlot(
          "{ organizerId, createdAt: { gt: startsAt } }",
          "prisma.$transaction(async (tx) => tx.booking.create({ data: { organizerId, startsAt, endsAt, guest } }))",
        )
          .replace("book(", "bookRecent(")
          .replace(/^import.*\n.*\n/, ""),
    },
    {
      // The overlap check and the insert both run in one SERIALIZABLE transaction: the database aborts one of two.
      name: "an overlap check and the insert inside one SERIALIZABLE transaction",
      code: `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function book(organizerId: number, startsAt: Date, endsAt: Date, guest: string) {
  return prisma.$transaction(
    async (tx) => {
      const clash = await tx.booking.findFirst({ where: { organizerId, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } } });
      if (clash) throw new Error("slot taken");
      return tx.booking.create({ data: { organizerId, startsAt, endsAt, guest } });
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
  );
}`,
    },
    {
      name: "pg: open seats counted, then one claimed by an UPDATE whose WHERE bounds the column it increments (taken < capacity)",
      code: claimSeat("id = $1 AND taken < capacity"),
    },
    {
      name: "pg: a count over a join, then an UPDATE … FROM whose WHERE repeats the join's and the count's conditions",
      code: expireInvites("invites.status = 'pending' AND teams.id = invites.team_id AND teams.archived_at IS NOT NULL"),
    },
    {
      name: "Prisma: the key counted for one workspace and inserted into another (a const alias of the other)",
      code: keyUnderAlias("targetId"),
    },
    {
      name: "Drizzle: the team row locked before the check of its other templates, in the same transaction as the delete",
      code: `${drizzleTemplates}export async function deleteTemplate(teamId: string, id: string) {
  return db.transaction(async (tx) => {
    await tx.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).for("update");
    const others = await tx.select({ id: templates.id }).from(templates).where(and(eq(templates.teamId, teamId), ne(templates.id, id))).limit(1);
    if (others.length === 0) throw new Error("Cannot delete the last template");
    await tx.delete(templates).where(and(eq(templates.id, id), eq(templates.teamId, teamId)));
  });
}
export async function forget(seen: Set<string>, teamId: string) {
  const others = await db.select({ id: templates.id }).from(templates).where(eq(templates.teamId, teamId));
  if (others.length === 0) seen.delete(teamId);
}`,
    },
    {
      name: "NestJS + Prisma: a switch under the admin count that only warns in one case does not decide the demotion",
      code: `import { BadRequestException, Injectable, Logger } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class MembersService {
  private readonly logger = new Logger(MembersService.name);
  constructor(private readonly prisma: PrismaService) {}

  async demote(orgId: string, memberId: string, policy: "reject" | "warn"): Promise<void> {
    const admins = await this.prisma.member.count({ where: { orgId, role: "ADMIN" } });
    if (admins <= 1) {
      switch (policy) {
        case "reject":
          throw new BadRequestException("An organisation needs at least one admin");
        case "warn":
          this.logger.warn("Demoting the last admin");
          break;
      }
    }
    await this.prisma.member.update({ where: { id: memberId }, data: { role: "MEMBER" } });
  }
}
`,
    },
    {
      name: "Next.js + Prisma: a valid sign-in token found, then every token of that address deleted (consumed)",
      code: `import { prisma } from "@acme/db";

declare function hashToken(token: string): string;

export async function verify(email: string, token: string): Promise<boolean> {
  const found = await prisma.verificationToken.findFirst({
    where: { identifier: email, token: hashToken(token), expires: { gt: new Date() } },
  });
  if (!found) return false;
  await prisma.verificationToken.deleteMany({ where: { identifier: email } });
  return true;
}`,
    },
    {
      // The delete repeats the lookup's filter and narrows it: it removes some of the rows found, keeping no minimum.
      name: "NestJS + Prisma: the build's artifacts found, then the failed one among them deleted: no minimum kept",
      code: dropArtifact("{ projectId, buildHash }"),
    },
    {
      name: "Prisma: a canvas found (not yet deleted), then that canvas soft-deleted: no minimum kept",
      code: softDeleteCanvas(
        "prisma.canvas.findFirst({ where: { canvasId, uid, deletedAt: null } })",
        'if (!canvas) throw new Error("not found");',
      ),
    },
    {
      name: "Next.js + Prisma: a one-time verification token found, then deleted (consumed, not a minimum kept)",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function confirmSubscription(token: string): Promise<boolean> {
  const found = await prisma.verificationToken.findUnique({ where: { token } });
  if (!found) return false;
  await prisma.verificationToken.delete({ where: { token } });
  return true;
}`,
    },
    {
      name: "NestJS + Prisma: the demotion runs in a SERIALIZABLE interactive transaction",
      code: `import { Injectable } from "@nestjs/common";
import { Prisma } from "@prisma/client";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class MembersService {
  constructor(private readonly prisma: PrismaService) {}

  async demote(orgId: string, memberId: string): Promise<void> {
    await this.prisma.$transaction(
      async (tx) => {
        const admins = await tx.member.count({ where: { orgId, role: "ADMIN" } });
        if (admins <= 1) throw new Error("An organisation needs at least one admin");
        await tx.member.update({ where: { id: memberId }, data: { role: "MEMBER" } });
      },
      { isolationLevel: Prisma.TransactionIsolationLevel.Serializable },
    );
  }
}
`,
    },
    {
      name: "Prisma: the event row is locked FOR UPDATE ($queryRaw) before the bookings are counted",
      code: `import { prisma } from "@/lib/prisma";

export async function bookSeat(eventId: string, userId: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const [event] = await tx.$queryRaw<{ capacity: number }[]>\`SELECT capacity FROM "Event" WHERE id = \${eventId} FOR UPDATE\`;
    const taken = await tx.booking.count({ where: { eventId } });
    if (taken >= event.capacity) throw new Error("sold out");
    await tx.booking.create({ data: { eventId, userId } });
  });
}
`,
    },
    {
      name: "pg: a transaction-scoped advisory lock keyed by the cart is taken before the count",
      code: `import type { Pool } from "pg";

export async function addToCart(pool: Pool, cartId: string, sku: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [cartId]);
    const { rows } = await client.query("SELECT count(*)::int AS n FROM cart_items WHERE cart_id = $1", [cartId]);
    if (rows[0].n >= 20) throw new Error("cart full");
    await client.query("INSERT INTO cart_items (cart_id, sku) VALUES ($1, $2)", [cartId, sku]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    client.release();
  }
}
`,
    },
    {
      name: "pg: an advisory lock taken on both branches of an if before the count",
      code: cartLimit(
        'if (bulk) await client.query("SELECT pg_advisory_xact_lock(1)");\n  else await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [cartId]);',
      ),
    },
    {
      name: "async-mutex: the count and the insert run under one mutex",
      code: `import { Mutex } from "async-mutex";
import { prisma } from "./db";

const invites = new Mutex();

export async function invite(teamId: string, email: string, seats: number): Promise<void> {
  await invites.runExclusive(async () => {
    const used = await prisma.invite.count({ where: { teamId } });
    if (used >= seats) throw new Error("no seats left");
    await prisma.invite.create({ data: { teamId, email } });
  });
}
`,
    },
    {
      name: "an emptiness check before an insert is a uniqueness check (a unique index's job), with or without a handled P2002",
      code: `import { Prisma } from "@prisma/client";
import { prisma } from "./db";

export async function register(email: string): Promise<void> {
  const taken = await prisma.user.count({ where: { email } });
  if (taken > 0) throw new Error("email already registered");
  await prisma.user.create({ data: { email } });
}

export async function claimHandle(handle: string, userId: string): Promise<void> {
  const claims = await prisma.handle.count({ where: { handle } });
  if (claims >= 1) throw new Error("taken");
  try {
    await prisma.handle.create({ data: { handle, userId } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") throw new Error("taken");
    throw error;
  }
}
`,
    },
    {
      name: "mysql2: the insert re-checks the count under INSERT … SELECT's shared next-key locks (WHERE (SELECT count(*) …) < ?)",
      code: `import type { Pool } from "mysql2/promise";

export async function book(pool: Pool, eventId: string, userId: string, capacity: number): Promise<void> {
  const [rows] = await pool.query<any[]>("SELECT count(*) AS n FROM bookings WHERE event_id = ?", [eventId]);
  if (rows[0].n >= capacity) throw new Error("sold out");
  const [inserted] = await pool.query<any>(
    "INSERT INTO bookings (event_id, user_id) SELECT ?, ? FROM DUAL WHERE (SELECT count(*) FROM bookings WHERE event_id = ?) < ?",
    [eventId, userId, eventId, capacity],
  );
  if (inserted.affectedRows === 0) throw new Error("sold out");
}
`,
    },
    {
      name: "checks that only pick a log line, guard a delete that runs when the set is empty, count another event's set, write another table; an upsert",
      code: `import { Logger } from "@nestjs/common";
import { prisma } from "./db";

const logger = new Logger("webhooks");

export async function addWebhook(projectId: string, url: string): Promise<void> {
  const existing = await prisma.webhook.count({ where: { projectId } });
  if (existing > 20) logger.warn(\`project \${projectId} has \${existing} webhooks\`);
  await prisma.webhook.create({ data: { projectId, url } });
}

export async function removeMember(orgId: string, userId: string): Promise<void> {
  const activeTokens = await prisma.token.count({ where: { orgId, userId, revoked: false } });
  if (activeTokens) throw new Error("revoke the member's tokens first");
  await prisma.token.deleteMany({ where: { orgId, userId } });
}

export async function book(eventId: string, otherEventId: string, userId: string, capacity: number): Promise<void> {
  const taken = await prisma.booking.count({ where: { eventId } });
  if (taken >= capacity) throw new Error("sold out");
  await prisma.booking.create({ data: { eventId: otherEventId, userId } });
}

export async function closeEvent(eventId: string, capacity: number): Promise<void> {
  const taken = await prisma.booking.count({ where: { eventId } });
  if (taken >= capacity) await prisma.event.update({ where: { id: eventId }, data: { soldOut: true } });
}

export async function follow(userId: string, targetId: string): Promise<void> {
  await prisma.follow.upsert({
    where: { userId_targetId: { userId, targetId } },
    create: { userId, targetId },
    update: {},
  });
}
`,
    },
    {
      name: "knex: the show row is locked (.forUpdate()) in the transaction before the holds are counted",
      code: `import type { Knex } from "knex";

export async function holdSeat(db: Knex, showId: string, userId: string, seatsPerShow: number): Promise<void> {
  await db.transaction(async (trx) => {
    await trx("shows").where({ id: showId }).forUpdate().first();
    const row = await trx("seat_holds").where({ show_id: showId }).count("* as n").first();
    if (Number(row?.n ?? 0) >= seatsPerShow) throw new Error("no seats left");
    await trx("seat_holds").insert({ show_id: showId, user_id: userId });
  });
}
`,
    },
    {
      name: "a project wrapper around prisma.$transaction, called with isolationLevel Serializable",
      code: `import { prisma } from "./db";

async function runTx<T>(fn: (tx: any) => Promise<T>, options?: { isolationLevel?: string }): Promise<T> {
  return prisma.$transaction(fn, options);
}

export async function demote(orgId: string, memberId: string): Promise<void> {
  await runTx(
    async (tx) => {
      const admins = await tx.member.count({ where: { orgId, role: "ADMIN" } });
      if (admins <= 1) throw new Error("An organisation needs at least one admin");
      await tx.member.update({ where: { id: memberId }, data: { role: "MEMBER" } });
    },
    { isolationLevel: "Serializable" },
  );
}
`,
    },
    {
      name: "a service's transaction helper passing an options constant that asks for Serializable",
      code: seatsUnderConstantOptions("Serializable"),
    },
    {
      name: "pg: a helper locks the event row FOR UPDATE on the transaction's client before the count (function summary)",
      code: `import type { PoolClient } from "pg";

async function lockEvent(client: PoolClient, eventId: string): Promise<{ capacity: number }> {
  const { rows } = await client.query("SELECT capacity FROM events WHERE id = $1 FOR UPDATE", [eventId]);
  return rows[0];
}

export async function book(client: PoolClient, eventId: string, userId: string): Promise<void> {
  await client.query("BEGIN");
  const event = await lockEvent(client, eventId);
  const { rows } = await client.query("SELECT count(*)::int AS n FROM bookings WHERE event_id = $1", [eventId]);
  if (rows[0].n >= event.capacity) {
    await client.query("ROLLBACK");
    throw new Error("sold out");
  }
  await client.query("INSERT INTO bookings (event_id, user_id) VALUES ($1, $2)", [eventId, userId]);
  await client.query("COMMIT");
}
`,
    },
    {
      name: "Sequelize: the event is read with lock: t.LOCK.UPDATE in the transaction before the count",
      code: `import { Booking, Event, sequelize } from "../models";
import { Transaction } from "sequelize";

export async function book(eventId: number, userId: number): Promise<void> {
  await sequelize.transaction(async (t: Transaction) => {
    const event = await Event.findByPk(eventId, { transaction: t, lock: t.LOCK.UPDATE });
    const taken = await Booking.count({ where: { eventId }, transaction: t });
    if (!event || taken >= event.capacity) throw new Error("sold out");
    await Booking.create({ eventId, userId }, { transaction: t });
  });
}
`,
    },
    {
      name: 'NestJS + TypeORM: dataSource.transaction("SERIALIZABLE", …)',
      code: `import { Injectable } from "@nestjs/common";
import { DataSource } from "typeorm";
import { Member } from "./member.entity";

@Injectable()
export class MembersService {
  constructor(private readonly dataSource: DataSource) {}

  async demote(orgId: string, memberId: string): Promise<void> {
    await this.dataSource.transaction("SERIALIZABLE", async (manager) => {
      const admins = await manager.count(Member, { where: { orgId, role: "admin" } });
      if (admins <= 1) throw new Error("last admin");
      await manager.update(Member, { id: memberId }, { role: "member" });
    });
  }
}
`,
    },
    {
      name: "helpers: the count decides only an audit write of another table and the refusal; the insert goes to another organisation's set",
      code: `"use server";
import { createWorkspace, getWorkspaceCount, recordAudit } from "./workspaces";

export async function createWorkspaceAction(organizationId: string, otherOrganizationId: string, name: string, limit: number) {
  const count = await getWorkspaceCount(organizationId);
  if (count >= limit) await recordAudit(organizationId, "limit reached");
  if (count >= limit) throw new Error("Organization workspace limit reached");
  return createWorkspace(otherOrganizationId, name);
}

`,
      files: {
        "src/workspaces.ts": `import { prisma } from "./prisma";

export async function getWorkspaceCount(organizationId: string): Promise<number> {
  const count = await prisma.workspace.count({ where: { organizationId } });
  return count;
}

export async function createWorkspace(organizationId: string, name: string) {
  return prisma.workspace.create({ data: { name, organization: { connect: { id: organizationId } } } });
}

export async function listWorkspaces(organizationId: string) {
  return prisma.workspace.findMany({ where: { organizationId } });
}

export async function recordAudit(organizationId: string, action: string) {
  return prisma.auditLog.create({ data: { organizationId, action } });
}
`,
      },
    },
    {
      name: "pg: the overdue drafts counted, then all of them closed by an UPDATE repeating the count's WHERE (every caller moves the whole set)",
      code: closeOverdueDrafts("status = 'open' AND due_at < now()"),
    },
    {
      name: "Prisma: a team's active projects counted, then all of them archived by the count's own filter: no member is chosen",
      code: archiveProjects("{ teamId, archived: false }"),
    },
  ],
  invalid: [
    {
      // An overlap (one column below a bound, another above one) is no key, so no unique index keeps two out
      // (cal.diy #28151: two attendees booked one organizer's slot).
      name: "Prisma: an overlap check before a booking insert",
      code: bookSlot(OVERLAP, CREATE),
      errors: [
        {
          line: 6,
          column: 10,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of \`prisma.booking.findFirst(…)\` at line 4 before either inserts with \`prisma.booking.create(…)\` at line 6: both do, and the set ends above the limit the check enforces.",
        },
      ],
    },
    {
      // A transaction's callback runs in place: the check before the call decides the insert in it, and the
      // transaction, opened after the check, protects nothing the check read.
      name: "Prisma: an overlap check outside, the booking inserted in a later interactive transaction's callback",
      code: bookSlot(
        OVERLAP,
        "prisma.$transaction(async (tx) => {\n    const row = await tx.booking.create({ data: { organizerId, startsAt, endsAt, guest } });\n    return row;\n  })",
      ),
      errors: [{ line: 7, column: 23, messageId: "grows" }],
    },
    {
      name: "pg: open seats counted, then one claimed by an UPDATE that re-checks nothing it sets",
      code: claimSeat("id = $1 AND capacity > 0"),
      errors: [{ line: 6, column: 11, messageId: "shrinks" }],
    },
    {
      name: "pg: a count over a join, then an UPDATE … FROM that expires the one invite the caller names ($1)",
      code: expireInvites(
        "teams.id = invites.team_id AND teams.archived_at IS NOT NULL AND invites.status = 'pending' AND invites.id = $1",
      ),
      errors: [{ line: 9, column: 11, messageId: "shrinks" }],
    },
    {
      name: "pg: the overdue drafts counted above one, then one of them closed (the count's WHERE and an id): two can leave none",
      code: closeOverdueDrafts("status = 'open' AND due_at < now() AND id = $1"),
      errors: [{ line: 6, column: 11, messageId: "shrinks" }],
    },
    {
      name: "Prisma: a team's active projects counted, then one of them archived (the count's filter and its id): two can leave none",
      code: archiveProjects("{ teamId, archived: false, id: projectId }"),
      errors: [{ line: 7, column: 9, messageId: "shrinks" }],
    },
    {
      // The lookup asks for another artifact than the one deleted: two drops of two artifacts can leave none.
      name: "NestJS + Prisma: another artifact of the build found, then the failed one deleted: two can leave none",
      code: dropArtifact("{ projectId, buildHash, url: { not: failedUrl } }"),
      errors: [{ line: 10, column: 11, messageId: "shrinks" }],
    },
    {
      name: "Prisma: the user's canvases counted, then one soft-deleted while more than one remain: two can leave none",
      code: softDeleteCanvas(
        "prisma.canvas.count({ where: { uid, deletedAt: null } })",
        'if (canvas <= 1) throw new Error("keep one canvas");',
      ),
      errors: [{ line: 7, column: 9, messageId: "shrinks" }],
    },
    {
      name: "Drizzle: the other templates of the team checked, then this one deleted, in a transaction that locks nothing",
      code: `${drizzleTemplates}export async function deleteTemplate(teamId: string, id: string) {
  return db.transaction(async (tx) => {
    const others = await tx.select({ id: templates.id }).from(templates).where(and(eq(templates.teamId, teamId), ne(templates.id, id))).limit(1);
    if (others.length === 0) throw new Error("Cannot delete the last template");
    await tx.delete(templates).where(and(eq(templates.id, id), eq(templates.teamId, teamId))).returning();
  });
}`,
      errors: [
        {
          line: 11,
          column: 11,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `tx.select({ id: templates.id })….limit(…)` at line 9 before either deletes with `tx.delete(templates)….returning(…)` at line 11: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
    {
      name: "NestJS + Prisma: the guard under the admin count leaves through a switch whose every case throws or returns",
      code: `import { BadRequestException, ForbiddenException, Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class MembersService {
  constructor(private readonly prisma: PrismaService) {}

  async demote(orgId: string, memberId: string, policy: "reject" | "ignore"): Promise<void> {
    const admins = await this.prisma.member.count({ where: { orgId, role: "ADMIN" } });
    if (admins <= 1) {
      switch (policy) {
        case "reject":
          throw new BadRequestException("An organisation needs at least one admin");
        default:
          return;
      }
    }
    await this.prisma.member.update({ where: { id: memberId }, data: { role: "MEMBER" } });
  }
}
`,
      errors: [
        {
          line: 18,
          column: 11,
          endLine: 18,
          endColumn: 91,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `this.prisma.member.count(…)` at line 9 before either updates with `this.prisma.member.update(…)` at line 18: both do, and the set ends below the minimum the check enforces.",
          related: [{ line: 9, message: "set checked here, with nothing locking it" }],
        },
      ],
    },
    {
      name: "NestJS + Prisma: the member is an owner and the owner count === 1 refuses, else the role changes by compound key",
      code: `import { Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class TeamService {
  constructor(private readonly prisma: PrismaService) {}

  async changeRole(teamId: string, userId: string, role: "OWNER" | "EDITOR") {
    const owners = await this.prisma.teamMember.count({ where: { teamId, role: "OWNER" } });
    const member = await this.prisma.teamMember.findUnique({ where: { teamId_userId: { teamId, userId } } });
    if (!member) return null;
    if (member.role === "OWNER" && role !== "OWNER" && owners === 1) return null;
    return this.prisma.teamMember.update({ where: { teamId_userId: { teamId, userId } }, data: { role } });
  }
}
`,
      errors: [
        {
          line: 13,
          column: 12,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `this.prisma.teamMember.count(…)` at line 9 before either updates with `this.prisma.teamMember.update(…)` at line 13: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
    {
      name: "NestJS + Prisma: count admins > 1, then demote (two demotions leave none)",
      code: `import { BadRequestException, Injectable } from "@nestjs/common";
import { PrismaService } from "../prisma/prisma.service";

@Injectable()
export class MembersService {
  constructor(private readonly prisma: PrismaService) {}

  async demote(orgId: string, memberId: string): Promise<void> {
    const admins = await this.prisma.member.count({ where: { orgId, role: "ADMIN" } });
    if (admins <= 1) throw new BadRequestException("An organisation needs at least one admin");
    await this.prisma.member.update({ where: { id: memberId }, data: { role: "MEMBER" } });
  }
}
`,
      errors: [
        {
          line: 11,
          column: 11,
          endLine: 11,
          endColumn: 91,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `this.prisma.member.count(…)` at line 9 before either updates with `this.prisma.member.update(…)` at line 11: both do, and the set ends below the minimum the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 9,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "Prisma: the approved commissions summed, a payout inserted, then every approved commission marked paid by the same filter",
      code: `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function payOut(sellerId: string, periodId: string) {
  return prisma.$transaction(async (tx) => {
    const total = await tx.commission.aggregate({ where: { sellerId, status: "approved" }, _sum: { cents: true } });
    const cents = total._sum.cents ?? 0;
    if (cents <= 0) return null;
    const payout = await tx.payout.create({ data: { sellerId, periodId, cents } });
    await tx.commission.updateMany({ where: { sellerId, status: "approved" }, data: { status: "paid", payoutId: payout.id } });
    return payout;
  });
}
`,
      errors: [
        {
          line: 9,
          column: 11,
          messageId: "movedUncounted",
          message:
            "\`tx.commission.updateMany(…)\` at line 9 moves out every row that matches the filter of \`tx.commission.aggregate(…)\` at line 5 when it runs, not the rows that check summed: a row that enters the set in between is moved without being counted in the total \`tx.payout.create(…)\` writes at line 8.",
        },
      ],
    },
    {
      name: "a service's transaction helper passing an options constant that asks for ReadCommitted",
      code: seatsUnderConstantOptions("ReadCommitted"),
      errors: [
        {
          line: 19,
          column: 14,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of \`tx.seat.count(…)\` at line 17 before either inserts with \`tx.seat.create(…)\` at line 19: both do, and the set ends above the limit the check enforces.",
        },
      ],
    },
    {
      name: "Prisma: the key counted by one name and inserted under a const alias of it is the same workspace's set",
      code: keyUnderAlias("workspaceId"),
      errors: [{ line: 7, column: 12, messageId: "grows" }],
    },
    {
      name: "Next.js route + Prisma: per-workspace limit inside a READ COMMITTED interactive transaction",
      code: `import { NextResponse } from "next/server";
import { prisma } from "@/lib/prisma";

const MAX_API_KEYS = 10;

export async function POST(req: Request) {
  const { workspaceId, name } = await req.json();
  const key = await prisma.$transaction(async (tx) => {
    const total = await tx.apiKey.count({ where: { workspaceId } });
    if (total >= MAX_API_KEYS) throw new Error("API key limit reached");
    return tx.apiKey.create({ data: { workspaceId, name } });
  });
  return NextResponse.json(key);
}
`,
      errors: [
        {
          line: 11,
          column: 12,
          endLine: 11,
          endColumn: 61,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `tx.apiKey.count(…)` at line 9 before either inserts with `tx.apiKey.create(…)` at line 11: both do, and the set ends above the limit the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 9,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "NestJS + TypeORM: countBy bookings < capacity, then insert",
      code: `import { ConflictException, Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Booking } from "./booking.entity";

@Injectable()
export class BookingsService {
  constructor(@InjectRepository(Booking) private readonly bookings: Repository<Booking>) {}

  async book(eventId: string, userId: string, capacity: number): Promise<void> {
    const taken = await this.bookings.countBy({ eventId });
    if (taken >= capacity) throw new ConflictException("Sold out");
    await this.bookings.insert({ eventId, userId });
  }
}
`,
      errors: [
        {
          line: 13,
          column: 11,
          endLine: 13,
          endColumn: 52,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `this.bookings.countBy(…)` at line 11 before either inserts with `this.bookings.insert(…)` at line 13: both do, and the set ends above the limit the check enforces.",
          help: 'Lock a parent row (`lock: { mode: "pessimistic_write" }`) before the check inside a transaction, or run it as `transaction("SERIALIZABLE", …)` and retry serialization failures.',
          related: [
            {
              line: 11,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "Express + Sequelize: more than one owner, then the member leaves (destroy)",
      code: `import type { Request, Response } from "express";
import { Member } from "../models";
import { Op } from "sequelize";

export async function leaveOrganisation(req: Request, res: Response) {
  const { orgId } = req.params;
  const userId = req.user.id;
  const owners = await Member.count({ where: { orgId, role: "owner" } });
  if (owners > 1) {
    await Member.destroy({ where: { orgId, userId } });
    return res.status(204).end();
  }
  return res.status(409).json({ error: "the last owner cannot leave", op: Op.ne });
}
`,
      errors: [
        {
          line: 10,
          column: 11,
          endLine: 10,
          endColumn: 55,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `Member.count(…)` at line 8 before either deletes with `Member.destroy(…)` at line 10: both do, and the set ends below the minimum the check enforces.",
          help: "Lock a parent row (`lock: t.LOCK.UPDATE`, `transaction: t`) before the check, or run the transaction with `isolationLevel: SERIALIZABLE` and retry serialization failures.",
          related: [
            {
              line: 8,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: 'knex: count("* as n").first() below the limit, then insert',
      code: `import type { Knex } from "knex";

export async function holdSeat(db: Knex, showId: string, userId: string, seatsPerShow: number): Promise<void> {
  const row = await db("seat_holds").where({ show_id: showId }).count("* as n").first();
  if (Number(row?.n ?? 0) >= seatsPerShow) throw new Error("no seats left");
  await db("seat_holds").insert({ show_id: showId, user_id: userId });
}
`,
      errors: [
        {
          line: 6,
          column: 9,
          endLine: 6,
          endColumn: 70,
          messageId: "grows",
          message:
            'Two concurrent requests can both pass the check of `db("seat_holds")….count(…)` at line 4 before either inserts with `db("seat_holds").insert(…)` at line 6: both do, and the set ends above the limit the check enforces.',
          help: 'Lock a parent row (`.forUpdate()`) before the check inside `knex.transaction`, or run it with `{ isolationLevel: "serializable" }` and retry serialization failures.',
          related: [
            {
              line: 4,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "mysql2: SELECT EXISTS (another owner), then DELETE this one",
      code: `import type { Pool } from "mysql2/promise";

export async function removeOwner(pool: Pool, orgId: number, userId: number): Promise<void> {
  const [rows] = await pool.execute<any[]>(
    "SELECT EXISTS (SELECT 1 FROM members WHERE org_id = ? AND role = 'owner' AND user_id <> ?) AS other",
    [orgId, userId],
  );
  if (!rows[0].other) throw new Error("cannot remove the last owner");
  await pool.execute("DELETE FROM members WHERE org_id = ? AND user_id = ?", [orgId, userId]);
}
`,
      errors: [
        {
          line: 9,
          column: 9,
          endLine: 9,
          endColumn: 94,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `SELECT EXISTS (SELECT 1 FROM members WHERE org_id = ? AND role = 'o…` at line 4 before either deletes with `DELETE FROM members WHERE org_id = ? AND user_id = ?` at line 9: both do, and the set ends below the minimum the check enforces.",
          help: 'Lock a parent row (`SELECT … FOR UPDATE`) before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withMySqlTransaction(pool, fn, { isolation: "serializable" })`).',
          related: [
            {
              line: 4,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "Prisma findMany used only for its length: another admin exists, then demote",
      code: `import { prisma } from "./db";

export async function demoteAdmin(orgId: string, userId: string): Promise<void> {
  const otherAdmins = await prisma.user.findMany({
    where: { orgId, role: "ADMIN", id: { not: userId } },
    select: { id: true },
  });
  if (otherAdmins.length === 0) throw new Error("cannot demote the last admin");
  await prisma.user.update({ where: { id: userId }, data: { role: "MEMBER" } });
}
`,
      errors: [
        {
          line: 9,
          column: 9,
          endLine: 9,
          endColumn: 80,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `prisma.user.findMany(…)` at line 4 before either updates with `prisma.user.update(…)` at line 9: both do, and the set ends below the minimum the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 4,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "pg: an advisory lock taken before the count on one branch only does not protect the count after the merge",
      code: cartLimit('if (bulk) await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [cartId]);'),
      errors: [{ line: 6, column: 29, messageId: "grows", related: [{ line: 5, message: "set checked here, with nothing locking it" }] }],
    },
    {
      name: "pg: REPEATABLE READ does not prevent write skew (snapshot isolation): still reported",
      code: `import type { Pool } from "pg";

export async function addToCart(pool: Pool, cartId: string, sku: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    const { rows } = await client.query("SELECT count(*)::int AS n FROM cart_items WHERE cart_id = $1", [cartId]);
    if (rows[0].n < 20) await client.query("INSERT INTO cart_items (cart_id, sku) VALUES ($1, $2)", [cartId, sku]);
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}
`,
      errors: [
        {
          line: 8,
          column: 31,
          endLine: 8,
          endColumn: 115,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `SELECT count(*)::int AS n FROM cart_items WHERE cart_id = $1` at line 7 before either inserts with `INSERT INTO cart_items (cart_id, sku) VALUES ($1, $2)` at line 8: both do, and the set ends above the limit the check enforces.",
          help: 'Lock a parent row (`SELECT … FOR UPDATE`) or take `pg_advisory_xact_lock` keyed by the set before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withPgTransaction(pool, fn, { isolation: "serializable" })`).',
          related: [
            {
              line: 7,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "Prisma: an interactive transaction without a lock on the event row is no protection",
      code: `import { prisma } from "@/lib/prisma";

export async function bookSeat(eventId: string, userId: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const taken = await tx.booking.count({ where: { eventId } });
    if (taken >= 10) throw new Error("sold out");
    await tx.booking.create({ data: { eventId, userId } });
  });
}
`,
      errors: [
        {
          line: 7,
          column: 11,
          endLine: 7,
          endColumn: 59,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `tx.booking.count(…)` at line 5 before either inserts with `tx.booking.create(…)` at line 7: both do, and the set ends above the limit the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 5,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "Sequelize: REPEATABLE READ transaction without a lock",
      code: `import { Booking, sequelize } from "../models";
import { Transaction } from "sequelize";

export async function book(eventId: number, userId: number, capacity: number): Promise<void> {
  await sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (t) => {
    const taken = await Booking.count({ where: { eventId }, transaction: t });
    if (taken >= capacity) throw new Error("sold out");
    await Booking.create({ eventId, userId }, { transaction: t });
  });
}
`,
      errors: [
        {
          line: 8,
          column: 11,
          endLine: 8,
          endColumn: 66,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `Booking.count(…)` at line 6 before either inserts with `Booking.create(…)` at line 8: both do, and the set ends above the limit the check enforces.",
          help: "Lock a parent row (`lock: t.LOCK.UPDATE`, `transaction: t`) before the check, or run the transaction with `isolationLevel: SERIALIZABLE` and retry serialization failures.",
          related: [
            {
              line: 6,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: "helpers in another file: a cached owner count (cache(async …)) guarded in a nested block, then a helper that deletes the membership",
      code: `import { deleteMembership, getOwnerCount } from "./membership";

export async function removeMember(organizationId: string, userId: string, isOwner: boolean): Promise<void> {
  if (isOwner) {
    const owners = await getOwnerCount(organizationId);
    if (owners <= 1) throw new Error("You cannot delete the last owner of the organization");
  }
  await deleteMembership(userId, organizationId);
}
`,
      files: {
        "src/membership.ts": `import { cache } from "react";
import { prisma } from "./prisma";

export const getOwnerCount = cache(async (organizationId: string): Promise<number> => {
  return prisma.membership.count({ where: { organizationId, role: "owner" } });
});

export async function deleteMembership(userId: string, organizationId: string): Promise<void> {
  await prisma.membership.delete({ where: { userId_organizationId: { userId, organizationId } } });
}
`,
      },
      errors: [
        {
          line: 8,
          column: 9,
          endLine: 8,
          endColumn: 49,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `getOwnerCount(…)` at line 5 before either deletes with `deleteMembership(…)` at line 8: both do, and the set ends below the minimum the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 5,
              message: "set checked here, with nothing locking it",
            },
            {
              line: 5,
              message: "the check `getOwnerCount(…)` makes",
              filename: "src/membership.ts",
            },
            {
              line: 9,
              message: "the write `deleteMembership(…)` makes",
              filename: "src/membership.ts",
            },
          ],
        },
      ],
    },
    {
      name: "Next.js server action: a helper's count below the limit, then a helper's create (Prisma connect)",
      code: `"use server";
import { createWorkspace, getWorkspaceCount } from "./workspaces";

export async function createWorkspaceAction(organizationId: string, name: string, limit: number) {
  const count = await getWorkspaceCount(organizationId);
  if (count >= limit) throw new Error("Organization workspace limit reached");
  return createWorkspace(organizationId, name);
}
`,
      files: {
        "src/workspaces.ts": `import { prisma } from "./prisma";

export async function getWorkspaceCount(organizationId: string): Promise<number> {
  const count = await prisma.workspace.count({ where: { organizationId } });
  return count;
}

export async function createWorkspace(organizationId: string, name: string) {
  return prisma.workspace.create({ data: { name, organization: { connect: { id: organizationId } } } });
}

export async function listWorkspaces(organizationId: string) {
  return prisma.workspace.findMany({ where: { organizationId } });
}

export async function recordAudit(organizationId: string, action: string) {
  return prisma.auditLog.create({ data: { organizationId, action } });
}
`,
      },
      errors: [
        {
          line: 7,
          column: 10,
          endLine: 7,
          endColumn: 47,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `getWorkspaceCount(…)` at line 5 before either inserts with `createWorkspace(…)` at line 7: both do, and the set ends above the limit the check enforces.",
          help: "Lock a parent row (`tx.$queryRaw` `SELECT … FOR UPDATE`) before the check inside an interactive `$transaction`, or run it with `isolationLevel: Prisma.TransactionIsolationLevel.Serializable` and retry P2034.",
          related: [
            {
              line: 5,
              message: "set checked here, with nothing locking it",
            },
            {
              line: 4,
              message: "the check `getWorkspaceCount(…)` makes",
              filename: "src/workspaces.ts",
            },
            {
              line: 9,
              message: "the write `createWorkspace(…)` makes",
              filename: "src/workspaces.ts",
            },
          ],
        },
      ],
    },
    {
      name: "pg: withPgTransaction at its default level; suggestion: ask it for SERIALIZABLE (it retries)",
      code: `import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function demote(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
  });
}
`,
      errors: [
        {
          line: 8,
          column: 11,
          endLine: 8,
          endColumn: 109,
          messageId: "shrinks",
          message:
            "Two concurrent requests can both pass the check of `SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role =…` at line 6 before either updates with `UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2` at line 8: both do, and the set ends below the minimum the check enforces.",
          help: 'Lock a parent row (`SELECT … FOR UPDATE`) or take `pg_advisory_xact_lock` keyed by the set before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withPgTransaction(pool, fn, { isolation: "serializable" })`).',
          suggestions: [
            {
              title:
                "Run the transaction SERIALIZABLE (withPgTransaction reruns it on a serialization failure; the callback must have no other side effects)",
              output: `import type { Pool } from "pg";
import { withPgTransaction } from "@locksmith/runtime/postgres";

export async function demote(pool: Pool, orgId: string, userId: string): Promise<void> {
  await withPgTransaction(pool, async (tx) => {
    const { rows } = await tx.query("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'admin'", [orgId]);
    if (rows[0].n <= 1) throw new Error("an organisation needs an admin");
    await tx.query("UPDATE members SET role = 'member' WHERE org_id = $1 AND user_id = $2", [orgId, userId]);
  }, { isolation: "serializable" });
}
`,
            },
          ],
          related: [
            {
              line: 6,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
    {
      name: 'mysql2: withMySqlTransaction with options but no isolation; suggestion: add isolation: "serializable"',
      code: `import type { Pool } from "mysql2/promise";
import { withMySqlTransaction } from "@locksmith/runtime/mysql";

export async function reserve(pool: Pool, slotId: number, userId: number, capacity: number): Promise<void> {
  await withMySqlTransaction(
    pool,
    async (tx) => {
      const [rows] = await tx.query<any[]>("SELECT COUNT(*) AS n FROM reservations WHERE slot_id = ?", [slotId]);
      if (rows[0].n >= capacity) throw new Error("slot full");
      await tx.query("INSERT INTO reservations (slot_id, user_id) VALUES (?, ?)", [slotId, userId]);
    },
    { retry: 3 },
  );
}
`,
      errors: [
        {
          line: 10,
          column: 13,
          endLine: 10,
          endColumn: 100,
          messageId: "grows",
          message:
            "Two concurrent requests can both pass the check of `SELECT COUNT(*) AS n FROM reservations WHERE slot_id = ?` at line 8 before either inserts with `INSERT INTO reservations (slot_id, user_id) VALUES (?, ?)` at line 10: both do, and the set ends above the limit the check enforces.",
          help: 'Lock a parent row (`SELECT … FOR UPDATE`) before the check, in the same transaction as the write, or run both in a SERIALIZABLE transaction that is retried (`withMySqlTransaction(pool, fn, { isolation: "serializable" })`).',
          suggestions: [
            {
              title:
                "Run the transaction SERIALIZABLE (withMySqlTransaction reruns it on a serialization failure; the callback must have no other side effects)",
              output: `import type { Pool } from "mysql2/promise";
import { withMySqlTransaction } from "@locksmith/runtime/mysql";

export async function reserve(pool: Pool, slotId: number, userId: number, capacity: number): Promise<void> {
  await withMySqlTransaction(
    pool,
    async (tx) => {
      const [rows] = await tx.query<any[]>("SELECT COUNT(*) AS n FROM reservations WHERE slot_id = ?", [slotId]);
      if (rows[0].n >= capacity) throw new Error("slot full");
      await tx.query("INSERT INTO reservations (slot_id, user_id) VALUES (?, ?)", [slotId, userId]);
    },
    { isolation: "serializable", retry: 3 },
  );
}
`,
            },
          ],
          related: [
            {
              line: 8,
              message: "set checked here, with nothing locking it",
            },
          ],
        },
      ],
    },
  ],
});
