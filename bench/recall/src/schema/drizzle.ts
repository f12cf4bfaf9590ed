// Drizzle tables of the reproductions whose finding depends on the schema (b43, b113): what unique indexes they have.
import { integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

// b43: no unique index over (app, kind, idempotency key): the idempotency check is the only guard.
export const earningsLedger = pgTable("earnings_ledger", {
  id: uuid("id").primaryKey().defaultRandom(),
  appId: text("app_id").notNull(),
  kind: text("kind").notNull(),
  amount: integer("amount").notNull(),
  idempotencyKey: text("idempotency_key"),
});

// b113: the (project, fingerprint) unique index turns the race into a failed insert, not a duplicate row.
export const incidents = pgTable(
  "incidents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    title: text("title").notNull(),
    firstSeen: timestamp("first_seen").notNull(),
    lastSeen: timestamp("last_seen").notNull(),
    occurrences: integer("occurrences").notNull().default(1),
  },
  (t) => [uniqueIndex("incidents_project_fingerprint").on(t.projectId, t.fingerprint)],
);
