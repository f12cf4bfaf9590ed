// Session 24's held-out recall set (bench/recall b226–b241), written afresh in the shape of the miss fixed:
// - write-skew: a duplicate check (a lookup by columns no unique index covers, then an insert of the same values) stays
//   reported when the insert also fills a unique column with a value made for the new row, which differs between
//   concurrent callers and so refuses no second row: a call (`randomUUID()`), now in raw SQL as in the ORMs, or the id
//   of the object an awaited payment-provider `create…` call (a Stripe `create`) or a queue's `add` just made. A create
//   given an idempotency key or a queue job given its `jobId` (every caller gets the first caller's object back) and a
//   retrieve of an existing object (the same for every caller) still make the unique column close the race.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";
import { sqlProject } from "../helpers/sql-project";

// The billing profile of a workspace: no unique index over workspace_id; the provider's customer id is the key.
const BILLING_PROFILES = `CREATE TABLE billing_profiles (
  customer_ref TEXT PRIMARY KEY,
  workspace_id INTEGER NOT NULL,
  contact_email TEXT NOT NULL
);
`;

const stripeProfile = (createArgs: string, call = "customers.create") => `import { Pool } from "pg";
import Stripe from "stripe";
const pool = new Pool();
const stripe = new Stripe(process.env.STRIPE_KEY!);

export async function openBillingProfile(workspaceId: number, contactEmail: string) {
  const { rows } = await pool.query("SELECT customer_ref FROM billing_profiles WHERE workspace_id = $1", [workspaceId]);
  if (rows.length > 0) return rows[0].customer_ref;
  const customer = await stripe.${call}(${createArgs});
  await pool.query("INSERT INTO billing_profiles (customer_ref, workspace_id, contact_email) VALUES ($1, $2, $3)", [customer.id, workspaceId, contactEmail]);
  return customer.id;
}
`;

// Shared sign-up slots of an event: a surrogate key, no unique index over (event_id, attendee_email).
const EVENT_SEATS = `CREATE TABLE event_seats (
  seat_id UUID PRIMARY KEY,
  event_id INTEGER NOT NULL,
  attendee_email TEXT NOT NULL
);
CREATE INDEX event_seats_event ON event_seats (event_id, attendee_email);
`;

const SEAT_CLAIM = (idValue: string) => `import { randomUUID } from "node:crypto";
import { Pool } from "pg";
const pool = new Pool();

export async function claimSeat(eventId: number, attendeeEmail: string, seatId: string) {
  const found = await pool.query("SELECT seat_id FROM event_seats WHERE event_id = $1 AND attendee_email = $2", [eventId, attendeeEmail]);
  if (found.rows.length > 0) return found.rows[0].seat_id;
  await pool.query("INSERT INTO event_seats (seat_id, event_id, attendee_email) VALUES ($1, $2, $3)", [${idValue}, eventId, attendeeEmail]);
}
`;

// Export jobs of a report: the queue's job id is the key, nothing unique over report_id.
const EXPORT_JOBS = `CREATE TABLE export_jobs (
  job_ref TEXT PRIMARY KEY,
  report_id INTEGER NOT NULL
);
`;

const queueExport = (options: string) => `import { Queue } from "bullmq";
import { Pool } from "pg";
const pool = new Pool();
const exportsQueue = new Queue("report-exports");

export async function requestExport(reportId: number) {
  const pending = await pool.query("SELECT job_ref FROM export_jobs WHERE report_id = $1", [reportId]);
  if (pending.rows.length > 0) return pending.rows[0].job_ref;
  const job = await exportsQueue.add("export", { reportId }${options});
  await pool.query("INSERT INTO export_jobs (job_ref, report_id) VALUES ($1, $2)", [job.id, reportId]);
  return job.id;
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "the customer is created with an idempotency key: every caller gets the first one's customer, whose id the key refuses twice",
      root: sqlProject({ "db/001_billing.sql": BILLING_PROFILES }),
      code: stripeProfile("{ email: contactEmail }, { idempotencyKey: `profile-${workspaceId}` }"),
    },
    {
      name: "the id comes from a retrieve of an existing customer, the same for every caller: the primary key refuses the second insert",
      root: sqlProject({ "db/001_billing.sql": BILLING_PROFILES }),
      code: stripeProfile("`cus_${workspaceId}`", "customers.retrieve"),
    },
    {
      name: "the seat id is the caller's: two calls with the same arguments insert the same key, which the primary key refuses",
      root: sqlProject({ "db/001_seats.sql": EVENT_SEATS }),
      code: SEAT_CLAIM("seatId"),
    },
    {
      name: "the job is queued with a jobId made from the report: BullMQ returns the first caller's job, whose id the key refuses twice",
      root: sqlProject({ "db/001_exports.sql": EXPORT_JOBS }),
      code: queueExport(", { jobId: `export-${reportId}` }"),
    },
  ],
  invalid: [
    {
      name: "the primary key is the id of a customer the payment provider has just created: new for each caller, it refuses nothing",
      root: sqlProject({ "db/001_billing.sql": BILLING_PROFILES }),
      code: stripeProfile("{ email: contactEmail }"),
      errors: [{ line: 10, column: 9, messageId: "duplicate" }],
    },
    {
      name: "the raw SQL insert's key is bound to randomUUID(): made for the row, as in an ORM insert",
      root: sqlProject({ "db/001_seats.sql": EVENT_SEATS }),
      code: SEAT_CLAIM("randomUUID()"),
      errors: [{ line: 8, column: 9, messageId: "duplicate" }],
    },
    {
      name: "the primary key is the id of a job the queue has just added without a jobId: a new id for each caller",
      root: sqlProject({ "db/001_exports.sql": EXPORT_JOBS }),
      code: queueExport(""),
      errors: [{ line: 10, column: 9, messageId: "duplicate" }],
    },
  ],
});
