// select-then-update: false alarms of the session-13/14 held-out sets still reported at the start of session 15, each
// written afresh next to a look-alike that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A forum thread's counters refreshed after a reply or a vote; `likes` is the value written for the vote count. */
const threadCounters = (votes: string) => `import { and, count, eq, sql } from "drizzle-orm";
import { db } from "./db";
import { threads, votes } from "./schema";

export async function refreshThreadCounters(threadId: string): Promise<void> {
  const answers = db.select({ n: count() }).from(threads).where(eq(threads.parentId, threadId));
  const upvotes = db
    .select({ n: count() })
    .from(votes)
    .where(and(eq(votes.threadId, threadId), eq(votes.up, true)));
  const [thread] = await db.select().from(threads).where(eq(threads.id, threadId));
  if (!thread) return;
  await db
    .update(threads)
    .set({ answers: sql\`(\${answers})\`, votes: ${votes} })
    .where(eq(threads.id, threadId));
}
`;

/** A parcel's pickup point set to the one the request names; `noteValue` is the note written beside it. */
const pickupPoint = (noteValue: string) => `import { EntityManager } from "@mikro-orm/postgresql";
import { Parcel, PickupPoint } from "./entities";

export async function choosePickupPoint(em: EntityManager, parcelId: string, pointId: string, note: string) {
  const point = await em.findOne(PickupPoint, { id: pointId, closedAt: null });
  if (!point) throw new Error("pickup point not found");
  if (!point.accepting) throw new Error("pickup point is full");
  const parcel = await em.findOne(Parcel, { id: parcelId });
  if (!parcel) throw new Error("parcel not found");
  parcel.pickupPoint = point;
  parcel.note = ${noteValue};
  parcel.updatedAt = new Date();
  await em.flush();
  return parcel.id;
}
`;

/** A parcel's status set from the status entry the request names; `statusValue` is the value written. */
const parcelStatus = (statusValue: string) => `import { EntityManager } from "@mikro-orm/postgresql";
import { Parcel, StatusEntry } from "./entities";

export async function setParcelStatus(em: EntityManager, parcelId: string, entryId: string) {
  const parcel = await em.findOne(Parcel, { id: parcelId });
  if (!parcel) throw new Error("parcel not found");
  const entry = await em.findOne(StatusEntry, { id: entryId });
  if (!entry) throw new Error("unknown status");
  parcel.status = ${statusValue};
  parcel.updatedAt = new Date();
  await em.flush();
}
`;

/** A build job polled by the UI: while it is not finished, `inner` decides whether the CI run is looked up and stored. */
const pollJob = (inner: string) => `import { eq } from "drizzle-orm";
import { db } from "./db";
import { jobs } from "./schema";
import type { CiClient } from "./ci";

async function findCiRun(ci: CiClient, job: { pipeline: string; createdAt: Date }) {
  const runs = await ci.listRuns({ pipeline: job.pipeline });
  return runs.find((r) => r.startedAt >= job.createdAt.getTime()) ?? null;
}

export async function pollJob(ci: CiClient, jobId: number) {
  const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
  if (!job) throw new Error("job not found");
  if (job.state !== "finished") {
    if (${inner}) {
      const run = await findCiRun(ci, job);
      if (run) {
        await db
          .update(jobs)
          .set({
            ciRunId: run.id,
            state: run.state ?? "queued",
            url: run.url,
            finishedAt: run.state === "finished" ? new Date(run.endedAt) : null,
          })
          .where(eq(jobs.id, job.id));
      }
    }
  }
  return job;
}
`;

/** A refund entity (TypeORM ActiveRecord) and its finder in a module of its own. */
const REFUND_REPO = "src/refunds/repo.ts";
const refundRepo = `import { BaseEntity, Column, Entity, PrimaryGeneratedColumn } from "typeorm";

@Entity()
export class Refund extends BaseEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ nullable: true }) gatewayRef?: string;
  @Column({ nullable: true }) requestId?: string;
}

export const findRefund = async (id: number): Promise<Refund | null> =>
  Refund.createQueryBuilder("refund").where("refund.id = :id", { id }).getOne();
`;

/** The gateway's reference of a refund stored on it once the gateway has one; \`source\` names the call asked. */
const settleRefund = (source: string) => `import { findRefund } from "./repo";
import { ${source} } from "./gateway";

export async function settleRefund(id: number) {
  const refund = await findRefund(id);
  if (!refund) throw new Error("no refund");
  if (!refund.gatewayRef && refund.requestId) {
    const ref = await ${source}(refund.requestId);
    if (ref) {
      refund.gatewayRef = ref;
      await refund.save();
    }
  }
  return refund;
}
`;

/** Seats of an event renamed from the request's list, each row matched to its entry by the seat code. */
const renameSeats = (name: string) => `import { In, type Repository } from "typeorm";

interface Seat {
  id: number;
  eventId: number;
  code: string;
  name: string;
}

export async function renameSeats(seats: Repository<Seat>, eventId: number, entries: Array<{ code: string; name: string }>) {
  const byCode = new Map(entries.map((e) => [e.code, e]));
  const found = await seats.findBy({ eventId, code: In([...byCode.keys()]) });
  for (const seat of found) {
    const entry = byCode.get(seat.code);
    if (!entry) continue;
    await seats.update(seat.id, { name: ${name} });
  }
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "counts written by subqueries: the select builders are never awaited, only embedded in the UPDATE's sql, which counts inside the statement",
      code: threadCounters("sql`(${upvotes})`"),
      filename: "src/threads/counters.ts",
    },
    {
      name: "a relation set to another entity loaded whole: the flush writes that row's key, no value computed from the parcel read",
      code: pickupPoint("note"),
      filename: "src/parcels/pickup.ts",
    },
    {
      name: "a field set to a value read from another table (the status entry the request names): the flush writes that value, nothing of the parcel read",
      code: parcelStatus("entry.value"),
      filename: "src/parcels/status.ts",
    },
    {
      name: "a fill from the source inside an outer check on another column: the inner `if (!job.ciRunId)` runs the write only where the run is not stored yet",
      code: pollJob("!job.ciRunId"),
      filename: "src/jobs/poll.ts",
    },
    {
      name: "an ActiveRecord save of the gateway's answer where none is stored yet: every concurrent settler asks the gateway about the same refund and saves its same answer",
      code: settleRefund("lookUpGatewayRef"),
      filename: "src/refunds/settle.ts",
      files: { [REFUND_REPO]: refundRepo },
    },
    {
      name: "rows found by a key and each set to the request's entry for that key: nothing read from the row is written, two renames end as the later one",
      code: renameSeats("entry.name"),
      filename: "src/seats/rename.ts",
    },
  ],
  invalid: [
    {
      name: "the same UPDATE, but the vote count is the awaited row's value plus one: two refreshes add one to the same value",
      code: threadCounters("thread.votes + 1"),
      filename: "src/threads/counters.ts",
      errors: [{ line: 13, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the same flush, but the note appended to the one read: two choices append to the same note and one is lost",
      code: pickupPoint("`${parcel.note}\\n${note}`"),
      filename: "src/parcels/pickup.ts",
      errors: [{ line: 13, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "a status computed from the parcel's own status and the entry: two changes read the same status and one is lost",
      code: parcelStatus("`${parcel.status}>${entry.value}`"),
      filename: "src/parcels/status.ts",
      errors: [{ line: 11, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "the run stored again where one is already stored: no empty column gates the write, which writes back a state computed from the row",
      code: pollJob("job.ciRunId"),
      filename: "src/jobs/poll.ts",
      errors: [{ line: 18, column: 15, messageId: "lostUpdate" }],
    },
    {
      name: "the same save, but of a reference the call creates: two settlers each create one and one is lost",
      code: settleRefund("createGatewayRef"),
      filename: "src/refunds/settle.ts",
      files: { [REFUND_REPO]: refundRepo },
      errors: [{ line: 11, column: 13, messageId: "documentLostUpdate" }],
    },
    {
      name: "the same rename, but the entry's name appended to the name read: two renames append to the same name and one is lost",
      code: renameSeats("`${seat.name} / ${entry.name}`"),
      filename: "src/seats/rename.ts",
      errors: [{ line: 16, column: 11, messageId: "lostUpdate" }],
    },
  ],
});
