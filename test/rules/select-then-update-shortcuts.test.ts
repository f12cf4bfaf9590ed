// select-then-update: a check that skips the write only where the row already holds the value, when the values are
// dates compared by their time (`a?.getTime() === b?.getTime()`), is a no-change shortcut; a date check against another
// value than the one written (a check-then-write in JS) stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const reschedule = (check: string, write = "startsAt") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function reschedule(id: string, startsAt: Date | null, previous: Date) {
  const event = await prisma.event.findUniqueOrThrow({ where: { id } });
  ${check}
  return prisma.event.update({ where: { id }, data: { startsAt: ${write} } });
}`;

runRuleTests(selectThenUpdate, {
  valid: [
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
