// select-then-update: a check that skips the write only where the row already holds the value, when the values are
// dates compared by their time (`a?.getTime() === b?.getTime()`), is a no-change shortcut; a date check against another
// value than the one written (a check-then-write in JS) stays reported. So is an exit where the row is missing or already
// holds the value written (`if (!job || job.status === "CANCELLED") return;`), also beside tests of columns the write
// leaves alone or with the Prisma enum member of the status tested (`JobStatus.CANCELLED`), with only reads awaited before the write (work on a branch that returns first does not count); another
// value written or skipped, or other work awaited on the path to the write, stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const reschedule = (check: string, write = "startsAt") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function reschedule(id: string, startsAt: Date | null, previous: Date) {
  const event = await prisma.event.findUniqueOrThrow({ where: { id } });
  ${check}
  return prisma.event.update({ where: { id }, data: { startsAt: ${write} } });
}`;

/** A job cancelled when its rule is off; `exit` is the early exit after the read, `between` runs before the write, `run` awaits it. */
const cancelJob = (
  exit: string,
  between: string,
  status = '"CANCELLED"',
  run = (update: string) => `await ${update};`,
) => `import { JobStatus, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

async function loadRule(id: string) {
  return prisma.rule.findUnique({ where: { id } });
}
declare function notifyOwner(jobId: string): Promise<void>;

export async function cancelIfRuleOff(jobId: string) {
  const job = await prisma.job.findUnique({ where: { id: jobId } });
  ${exit}
  ${between}
  ${run(`prisma.job.update({ where: { id: jobId }, data: { status: ${status}, endedAt: new Date() } })`)}
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an exit where the job is missing or already cancelled, a read of its rule, then the job cancelled",
      code: cancelJob(
        'if (!job || job.status === "CANCELLED") return;',
        "const rule = await loadRule(job.ruleId);\n  if (rule?.active) return;",
      ),
    },
    {
      name: "an exit that also tests a column the write leaves alone, and work awaited only on a branch that returns",
      code: cancelJob(
        'if (job?.status === "CANCELLED" || !job?.ruleId) return;',
        "const rule = await loadRule(job.ruleId);\n  if (!rule) {\n    await notifyOwner(jobId);\n    return;\n  }",
      ),
    },
    {
      name: "the exit tests the status as a string, the write stores the Prisma enum member of that name",
      code: cancelJob('if (!job || job.status === "CANCELLED") return;', "", "JobStatus.CANCELLED"),
    },
    {
      name: "dates compared by getTime(): the write is skipped only where the row already holds the new date",
      code: reschedule("if (event.startsAt?.getTime() === startsAt?.getTime()) return event;"),
    },
    {
      name: "dates compared by valueOf(), the write under the check that they differ",
      code: reschedule("if (event.startsAt?.valueOf() === startsAt?.valueOf()) return event;"),
    },
  ],
  invalid: [
    {
      name: "the same exit, but the job is completed, a value the exit does not skip: two callers both move it",
      code: cancelJob('if (!job || job.status === "CANCELLED") return;', "const rule = await loadRule(job.ruleId);", '"COMPLETED"'),
      errors: [
        { line: 13, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "the same exit and write, with the owner notified between: the exit also guards that work",
      code: cancelJob('if (!job || job.status === "CANCELLED") return;', "await notifyOwner(jobId);"),
      errors: [
        { line: 13, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "an exit that also skips a completed job: a completion saved meanwhile is overwritten by the cancel",
      code: cancelJob(
        'if (!job || job.status === "CANCELLED" || job.status === "COMPLETED") return;',
        "const rule = await loadRule(job.ruleId);",
      ),
      errors: [
        { line: 13, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "the exit tests the status as a string, the write stores another member of the Prisma enum",
      code: cancelJob('if (!job || job.status === "CANCELLED") return;', "", "JobStatus.COMPLETED"),
      errors: [
        { line: 13, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "an exit that also tests another column, with the owner notified on the path to the write",
      code: cancelJob(
        'if (job?.status === "CANCELLED" || !job?.ruleId) return;',
        "const rule = await loadRule(job.ruleId);\n  if (!rule) await notifyOwner(jobId);",
      ),
      errors: [
        { line: 14, column: 9, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "the cancel awaited together with a notification: the exit also guards the notification",
      code: cancelJob(
        'if (!job || job.status === "CANCELLED") return;',
        "",
        undefined,
        (update) => `await Promise.all([notifyOwner(jobId), ${update}]);`,
      ),
      errors: [
        { line: 13, column: 42, messageId: "checkThenWrite", data: { write: "`prisma.job.update(…)`", column: "`status`", line: 10 } },
      ],
    },
    {
      name: "the stored date checked against the caller's previous one, then another date written: two callers both pass",
      code: reschedule('if (event.startsAt?.getTime() !== previous.getTime()) throw new Error("moved meanwhile");'),
      errors: [
        {
          line: 7,
          column: 10,
          messageId: "checkThenWrite",
          data: { write: "`prisma.event.update(…)`", column: "`startsAt`", line: 5 },
        },
      ],
    },
  ],
});

/** A playlist's cover chosen in a transaction: `changed` is the test that decides the write (a `const` of it). */
const chooseCover = (changed: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function chooseCover(id: string, coverId: string | null, shownCoverId: string | null) {
  return prisma.$transaction(async (tx) => {
    const list = await tx.playlist.findUniqueOrThrow({ where: { id }, select: { coverId: true } });
    const current = list.coverId ?? null;
    const changed = ${changed};
    if (changed) {
      await tx.playlist.update({ where: { id }, data: { coverId } });
    }
    return changed;
  });
}`;

/** Ticket tiers resized to the seats asked for; `skip` is the loop's test of the difference. */
const resizeTiers = (skip: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function resizeTiers(tiers: Array<{ id: string; seats: number }>) {
  for (const tier of tiers) {
    const row = await prisma.tier.findUnique({ where: { id: tier.id } });
    if (!row) continue;
    const diff = tier.seats - row.seats;
    if (${skip}) continue;
    await prisma.tier.update({ where: { id: tier.id }, data: { seats: tier.seats } });
  }
}`;

// The no-change test reached through a `const` (`const changed = current !== next; if (changed) …`) or as a difference
// against zero (`const diff = next - row.seats; if (diff === 0) continue;`) is the same shortcut; another test through
// the same shapes (against the value the caller saw, a difference of one) stays reported.
runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the cover is written only where the const test says the row holds another one than the new cover",
      code: chooseCover("current !== coverId"),
    },
    {
      name: "a tier's seats are written only where their difference from the new count is not zero",
      code: resizeTiers("diff === 0"),
    },
  ],
  invalid: [
    {
      name: "the const test compares the row with the cover the caller saw, then writes the new one: two callers both pass",
      code: chooseCover("current === shownCoverId"),
      errors: [{ line: 10, column: 13, messageId: "checkThenWrite" }],
    },
    {
      name: "the tier is skipped where the difference is one, not zero: the write then changes the row",
      code: resizeTiers("diff === 1"),
      errors: [{ line: 10, column: 11, messageId: "checkThenWrite" }],
    },
  ],
});
