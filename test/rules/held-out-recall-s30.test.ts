// Session 30's held-out recall set (b322–b337, bench/recall). The shape missed by the starting build and fixed with a
// one-sentence rule, as invalid cases written freshly, with the nearest correct shapes as valid cases:
// - a Kysely `insertInto(table).values(row).execute()` is an insert of that row (an `onConflict(…)` upsert or an
//   `INSERT … SELECT` stays unrecognised), and a Kysely select whose every selection is an aggregate
//   (`eb.fn.countAll()`, `db.fn.sum(…)`, ``sql`count(*)` ``, aliased with `.as`) reads the set's size or total, not
//   rows: a count tested against a cap, then an insert into the counted table, is write skew.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** Kysely: a book club's meetings, each with a room size, and the members signed up for it. */
const CLUB = (body: string) => `import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
interface Tables {
  club_meetings: { id: string; room_size: number; signed_up: number };
  meeting_signups: { id: string; meeting_id: string; member_id: string };
}
const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new Pool() }) });
${body}`;

runRuleTests(writeSkew, {
  valid: [
    {
      // The seat is taken by one conditional UPDATE of the meeting's counter; only a call that moved it signs up.
      name: "Kysely: a conditional counter UPDATE whose row count decides, then the insert",
      code: CLUB(`export async function signUp(meetingId: string, memberId: string) {
  await db.transaction().execute(async (trx) => {
    const taken = await trx.updateTable("club_meetings").set((eb) => ({ signed_up: eb("signed_up", "+", 1) })).where("id", "=", meetingId).whereRef("signed_up", "<", "room_size").executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 0) throw new Error("meeting is full");
    await trx.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).execute();
  });
}`),
    },
    {
      // The meeting row is locked before the count, so a second sign-up waits and counts the first.
      name: "Kysely: the parent row read FOR UPDATE in the transaction that counts and inserts",
      code: CLUB(`export async function signUpLocked(meetingId: string, memberId: string) {
  await db.transaction().execute(async (trx) => {
    const meeting = await trx.selectFrom("club_meetings").selectAll().where("id", "=", meetingId).forUpdate().executeTakeFirstOrThrow();
    const { n } = await trx.selectFrom("meeting_signups").select((eb) => eb.fn.countAll<number>().as("n")).where("meeting_id", "=", meetingId).executeTakeFirstOrThrow();
    if (Number(n) >= meeting.room_size) throw new Error("meeting is full");
    await trx.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).execute();
  });
}`),
    },
    {
      // An insert that does nothing on conflict is not read as a plain insert: its unique target closes the race.
      name: "Kysely: a count, then an insert with onConflict(…).doNothing()",
      code: CLUB(`export async function signUpOnce(meetingId: string, memberId: string) {
  const meeting = await db.selectFrom("club_meetings").selectAll().where("id", "=", meetingId).executeTakeFirstOrThrow();
  const { n } = await db.selectFrom("meeting_signups").select((eb) => eb.fn.countAll<number>().as("n")).where("meeting_id", "=", meetingId).executeTakeFirstOrThrow();
  if (Number(n) >= meeting.room_size) throw new Error("meeting is full");
  await db.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).onConflict((oc) => oc.columns(["meeting_id", "member_id"]).doNothing()).execute();
}`),
    },
  ],
  invalid: [
    {
      name: "Kysely: eb.fn.countAll() tested against the room size, then insertInto the counted table",
      code: CLUB(`export async function signUp(meetingId: string, memberId: string) {
  const meeting = await db.selectFrom("club_meetings").selectAll().where("id", "=", meetingId).executeTakeFirstOrThrow();
  const { n } = await db.selectFrom("meeting_signups").select((eb) => eb.fn.countAll<number>().as("n")).where("meeting_id", "=", meetingId).executeTakeFirstOrThrow();
  if (Number(n) >= meeting.room_size) throw new Error("meeting is full");
  await db.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).execute();
}`),
      errors: [{ line: 13, column: 9, messageId: "grows" }],
    },
    {
      name: "Kysely: an array of one db.fn.count(…) selection, then the insert",
      code: CLUB(`export async function signUp(meetingId: string, memberId: string, size: number) {
  const row = await db.selectFrom("meeting_signups").select([db.fn.count<number>("id").as("total")]).where("meeting_id", "=", meetingId).executeTakeFirst();
  if (Number(row?.total ?? 0) >= size) throw new Error("meeting is full");
  await db.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).execute();
}`),
      errors: [{ line: 12, column: 9, messageId: "grows" }],
    },
    {
      name: "Kysely: a sql`count(*)` selection aliased with .as, then the insert",
      code: CLUB(`export async function signUp(meetingId: string, memberId: string, size: number) {
  const row = await db.selectFrom("meeting_signups").select(sql<number>\`count(*)\`.as("total")).where("meeting_id", "=", meetingId).executeTakeFirstOrThrow();
  if (Number(row.total) >= size) throw new Error("meeting is full");
  await db.insertInto("meeting_signups").values({ id: randomUUID(), meeting_id: meetingId, member_id: memberId }).execute();
}`),
      errors: [{ line: 12, column: 9, messageId: "grows" }],
    },
  ],
});
