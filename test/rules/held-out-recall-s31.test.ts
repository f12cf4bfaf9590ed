// Session 31's held-out recall set (b338–b353, bench/recall). The shapes missed by the starting build and fixed where
// one sentence covers them, each an invalid case written freshly, with the nearest correct shapes as valid cases:
// - a job queued (BullMQ `add`) or a Stripe object created with the row's key only in its payload is made once per
//   call: only its dedupe option (`jobId`, `deduplication`, `idempotencyKey`) makes the second call a no-op, so rows
//   listed by a status filter, each queued and then marked, are claimed after the work both listers do;
// - rows tested in JavaScript by `some` or `find` with a predicate that bounds one column of the row from above and
//   another from below (`b.start < end && b.end > start`) are an overlap test of the set, as the same filter in the
//   query is: an insert into the table after it finds nothing is write skew.
import { selectThenUpdate } from "../../rules/select-then-update";
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** Prisma: mailing lists whose due digests a scheduler hands to a BullMQ queue. */
const DIGESTS = (body: string) => `import { Queue } from "bullmq";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const digestQueue = new Queue("digests", { connection: { url: process.env.REDIS_URL } });
${body}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      // The job id is the list's id: the queue keeps one job per id, so a second scheduler's add is a no-op.
      name: "Prisma + BullMQ: the due lists queued with jobId from the row, then marked",
      code: DIGESTS(`export async function queueDueDigests() {
  const due = await prisma.mailingList.findMany({ where: { digestState: "idle" } });
  for (const list of due) {
    await digestQueue.add("digest", { listId: list.id }, { jobId: \`digest-\${list.id}\` });
    await prisma.mailingList.update({ where: { id: list.id }, data: { digestState: "queued" } });
  }
}`),
    },
    {
      // Each list is claimed by a guarded updateMany first; only the scheduler whose claim changed it queues the job.
      name: "Prisma + BullMQ: a guarded claim before the add",
      code: DIGESTS(`export async function queueDueDigests() {
  const due = await prisma.mailingList.findMany({ where: { digestState: "idle" } });
  for (const list of due) {
    const { count } = await prisma.mailingList.updateMany({ where: { id: list.id, digestState: "idle" }, data: { digestState: "queued" } });
    if (count === 1) await digestQueue.add("digest", { listId: list.id });
  }
}`),
    },
    {
      // Work given the row's key that is not a queue or a payment-provider creation may dedupe on it: left alone.
      name: "Prisma: a request given the row's id before the mark",
      code: DIGESTS(`export async function pingDueLists() {
  const due = await prisma.mailingList.findMany({ where: { digestState: "idle" } });
  for (const list of due) {
    await fetch(\`https://hooks.example.test/lists/\${list.id}\`, { method: "PUT" });
    await prisma.mailingList.update({ where: { id: list.id }, data: { digestState: "pinged" } });
  }
}`),
    },
  ],
  invalid: [
    {
      name: "Prisma + BullMQ: the due lists queued with the id in the payload only, then marked",
      code: DIGESTS(`export async function queueDueDigests() {
  const due = await prisma.mailingList.findMany({ where: { digestState: "idle" } });
  for (const list of due) {
    await digestQueue.add("digest", { listId: list.id });
    await prisma.mailingList.update({ where: { id: list.id }, data: { digestState: "queued" } });
  }
}`),
      errors: [{ line: 9, column: 11, messageId: "filterThenWrite" }],
    },
    {
      // A deduplication id not made from the row (a fresh one per call) dedupes nothing.
      name: "Prisma + BullMQ: a deduplication id made fresh for each call",
      code: DIGESTS(`import { randomUUID } from "node:crypto";
export async function queueDueDigests() {
  const due = await prisma.mailingList.findMany({ where: { digestState: "idle" } });
  for (const list of due) {
    await digestQueue.add("digest", { listId: list.id }, { deduplication: { id: randomUUID() } });
    await prisma.mailingList.update({ where: { id: list.id }, data: { digestState: "queued" } });
  }
}`),
      errors: [{ line: 10, column: 11, messageId: "filterThenWrite" }],
    },
  ],
});

/** Prisma: meeting rooms booked by the hour. */
const ROOMS = (body: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
${body}`;

runRuleTests(writeSkew, {
  valid: [
    {
      // An equality test of the rows read is a duplicate check, left to unique indexes as before.
      name: "Prisma: rows tested with some(…) for the same organiser, then the insert",
      code: ROOMS(`export async function holdRoom(roomId: string, organiserId: string, day: Date) {
  const held = await prisma.roomHold.findMany({ where: { roomId, day } });
  if (held.some((h) => h.organiserId === organiserId)) return;
  await prisma.roomHold.create({ data: { roomId, organiserId, day } });
}`),
    },
    {
      // One column bounded on both sides is a window, not an overlap of two ranges.
      name: "Prisma: rows tested with some(…) for one column inside a window, then the insert",
      code: ROOMS(`export async function bookRoom(roomId: string, from: number, to: number, startHour: number) {
  const booked = await prisma.roomBooking.findMany({ where: { roomId } });
  if (booked.some((b) => b.startHour >= from && b.startHour < to)) throw new Error("busy");
  await prisma.roomBooking.create({ data: { roomId, startHour, endHour: startHour + 1 } });
}`),
    },
    {
      // The overlap decides an insert into another table: the bookings the test looked at do not grow.
      name: "Prisma: an overlap found with some(…) before an insert into another table",
      code: ROOMS(`export async function requestRoom(roomId: string, startHour: number, endHour: number) {
  const booked = await prisma.roomBooking.findMany({ where: { roomId } });
  if (booked.some((b) => b.startHour < endHour && b.endHour > startHour)) {
    await prisma.roomWaitlist.create({ data: { roomId, startHour, endHour } });
  }
}`),
    },
  ],
  invalid: [
    {
      name: "Prisma: rows tested with some(…) for an overlap, then the booking created",
      code: ROOMS(`export async function bookRoom(roomId: string, startHour: number, endHour: number) {
  const booked = await prisma.roomBooking.findMany({ where: { roomId } });
  const clash = booked.some((b) => b.startHour < endHour && b.endHour > startHour);
  if (clash) throw new Error("room already booked");
  return prisma.roomBooking.create({ data: { roomId, startHour, endHour } });
}`),
      errors: [{ line: 7, column: 10, messageId: "grows" }],
    },
    {
      // The row's columns on the right of the comparisons, and a block-bodied predicate.
      name: "Prisma: find(…) with the bounds written the other way round, then the booking created",
      code: ROOMS(`export async function bookRoom(roomId: string, startHour: number, endHour: number) {
  const booked = await prisma.roomBooking.findMany({ where: { roomId } });
  const conflict = booked.find(function (b) {
    return endHour > b.startHour && startHour < b.endHour;
  });
  if (conflict) throw new Error(\`overlaps booking \${conflict.id}\`);
  await prisma.roomBooking.create({ data: { roomId, startHour, endHour } });
}`),
      errors: [{ line: 9, column: 9, messageId: "grows" }],
    },
  ],
});
