// Session 21's held-out recall set (bench/recall b178–b193), written afresh in the shapes of the misses fixed:
// - select-then-update: a transaction's callback runs when its opener is called, with the values the function holds
//   there: a row read before `db.transaction(async (tx) => …)` and written inside it from the value read is a lost
//   update, as it is in one body. A read inside the callback with a row lock, a write of another table, and a write of
//   another row named by a key of its own stay silent (names of the function are compared inside its callbacks too).
// - select-then-update: Mongoose saves a push onto a loaded array as `$push`, so the save writes that array: a check of
//   the array deciding the push (`some`, `includes`, a length cap) is a check-then-write, as `updateOne({ $push })`
//   after it is. A check of another field, and the check made in the update's filter, stay silent.
// - select-then-update: a Drizzle upsert whose conflict target lists several columns (`[t.slug, t.visitor]`) updates
//   the row holding the inserted values in each, so a cap checked on that row before the upsert raises it is a
//   check-then-write; a cap tested on the row the upsert returns stays silent.
// - write-skew: Supabase rows seen through an empty fallback or an assertion (`(data ?? []).reduce(…)`,
//   `data!.length`) are still only sized or folded, and `select("*", { count: "exact", head: true })` reads a count: a
//   capacity checked with them before an insert into the table is a check of the set. Rows used for anything else, and
//   a count asked beside the rows, stay silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const drizzlePosts = `import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";

const posts = pgTable("posts", { id: text("id").primaryKey(), likes: integer("likes").notNull() });
const reactions = pgTable("reactions", { postId: text("post_id").notNull(), userId: text("user_id").notNull() });
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
`;

const mongoosePolls = `import { Schema, Types, model } from "mongoose";

const Poll = model("Poll", new Schema({ open: Boolean, voters: [Schema.Types.ObjectId] }));
`;

const drizzleLikes = `import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";

const likes = pgTable(
  "likes",
  { slug: text("slug").notNull(), visitor: text("visitor").notNull(), total: integer("total").notNull() },
  (t) => [primaryKey({ columns: [t.slug, t.visitor] })],
);
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the row is read inside the transaction with FOR UPDATE",
      code: `${drizzlePosts}
export async function like(id: string) {
  return db.transaction(async (tx) => {
    const [post] = await tx.select().from(posts).where(eq(posts.id, id)).for("update");
    if (!post) return null;
    await tx.update(posts).set({ likes: post.likes + 1 }).where(eq(posts.id, id));
  });
}
`,
    },
    {
      name: "the row read before the transaction only names the row of another table written inside it",
      code: `${drizzlePosts}
export async function react(id: string, userId: string) {
  const [post] = await db.select().from(posts).where(eq(posts.id, id));
  if (!post) return null;
  return db.transaction(async (tx) => {
    await tx.insert(reactions).values({ postId: post.id, userId });
    await tx.update(posts).set({ likes: sql\`\${posts.likes} + 1\` }).where(eq(posts.id, post.id));
  });
}
`,
    },
    {
      name: "the transaction's write names another row, by a key of its own (the read was by id)",
      code: `import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function mergeEnrollment(enrollmentId: string, targetPartnerId: string) {
  const source = await prisma.programEnrollment.findUnique({ where: { id: enrollmentId } });
  if (!source) return;
  await prisma.$transaction(async (tx) => {
    if (source.status === "approved") {
      await tx.programEnrollment.update({
        where: { partnerId_programId: { partnerId: targetPartnerId, programId: source.programId } },
        data: { status: "approved" },
      });
    }
  });
}
`,
    },
    {
      name: "a check of another field decides the push",
      code: `${mongoosePolls}
export async function vote(pollId: string, member: Types.ObjectId) {
  const poll = await Poll.findById(pollId);
  if (!poll || !poll.open) throw new Error("closed");
  poll.voters.push(member);
  await poll.save();
}
`,
    },
    {
      name: "the update's filter makes the check that the member has not voted",
      code: `${mongoosePolls}
export async function vote(pollId: string, member: Types.ObjectId) {
  const updated = await Poll.findOneAndUpdate({ _id: pollId, voters: { $ne: member } }, { $push: { voters: member } });
  if (!updated) throw new Error("already voted");
}
`,
    },
    {
      name: "the cap is tested on the row the upsert returns, in its transaction",
      code: `${drizzleLikes}
export async function like(slug: string, visitor: string) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(likes)
      .values({ slug, visitor, total: 1 })
      .onConflictDoUpdate({ target: [likes.slug, likes.visitor], set: { total: sql\`\${likes.total} + 1\` } })
      .returning();
    if (row.total > 3) throw new Error("at most three likes");
    return row;
  });
}
`,
    },
  ],
  invalid: [
    {
      name: "a Drizzle row read before the transaction, its column written inside from the value read",
      code: `${drizzlePosts}
export async function like(id: string) {
  const [post] = await db.select().from(posts).where(eq(posts.id, id));
  if (!post) return null;
  return db.transaction(async (tx) => {
    await tx.update(posts).set({ likes: post.likes + 1 }).where(eq(posts.id, id));
  });
}
`,
      errors: [{ line: 14, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a Mongoose array tested with includes, then pushed onto and the document saved",
      code: `${mongoosePolls}
export async function vote(pollId: string, member: Types.ObjectId) {
  const poll = await Poll.findById(pollId);
  if (!poll) throw new Error("no poll");
  if (poll.voters.includes(member)) throw new Error("already voted");
  poll.voters.push(member);
  await poll.save();
}
`,
      errors: [{ line: 10, column: 9, messageId: "documentCheckThenWrite" }],
    },
    {
      name: "a cap checked on the row a composite-key upsert then raises",
      code: `${drizzleLikes}
export async function like(slug: string, visitor: string) {
  const [mine] = await db.select().from(likes).where(and(eq(likes.slug, slug), eq(likes.visitor, visitor)));
  if (mine && mine.total >= 3) throw new Error("at most three likes");
  await db
    .insert(likes)
    .values({ slug, visitor, total: 1 })
    .onConflictDoUpdate({ target: [likes.slug, likes.visitor], set: { total: sql\`\${likes.total} + 1\` } });
}
`,
      errors: [{ line: 16, column: 9, messageId: "checkThenWrite" }],
    },
  ],
});

const supabaseBookings = (body: string) => `import { createClient } from "@supabase/supabase-js";

const supabase = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);

export async function book(serviceId: string, guest: string, seats: number) {
${body}
  await supabase.from("bookings").insert({ service_id: serviceId, guest, seats });
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "the rows read are used for their guests, not only their number",
      code: supabaseBookings(`  const { data } = await supabase.from("bookings").select("guest").eq("service_id", serviceId);
  if (data!.length >= 10) return;
  if (data!.some((row) => row.guest === guest)) return;`),
    },
    {
      name: "a count asked beside the rows is a page of them, not a size check",
      code: supabaseBookings(`  const { count } = await supabase.from("bookings").select("*", { count: "exact" }).eq("service_id", serviceId);
  if ((count ?? 0) >= 10) return;`),
    },
  ],
  invalid: [
    {
      name: "the seats of the service's bookings folded with reduce over an empty fallback",
      code: supabaseBookings(`  const { data: taken } = await supabase.from("bookings").select("seats").eq("service_id", serviceId);
  const booked = (taken ?? []).reduce((sum, row) => sum + row.seats, 0);
  if (booked + seats > 40) return;`),
      errors: [{ line: 9, column: 9, messageId: "grows" }],
    },
    {
      name: "the number of bookings through an assertion",
      code: supabaseBookings(`  const { data } = await supabase.from("bookings").select("id").eq("service_id", serviceId);
  if (data!.length >= 10) return;`),
      errors: [{ line: 8, column: 9, messageId: "grows" }],
    },
    {
      name: "a head-only count of the bookings",
      code: supabaseBookings(`  const { count } = await supabase
    .from("bookings")
    .select("*", { count: "exact", head: true })
    .eq("service_id", serviceId);
  if ((count ?? 0) >= 10) return;`),
      errors: [{ line: 11, column: 9, messageId: "grows" }],
    },
  ],
});
