// select-then-update across a timer: a callback given to `setTimeout` / `setInterval` / `setImmediate` runs after the
// code that creates it, with the values the function holds there, so a row read before it and written back from
// inside it is a lost update (the wait only widens the window). Look-alikes: the timer's write is atomic, or writes
// a value from the request rather than from the row.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** An Express-style bonus module on Prisma: reads the player, then writes `data` from a timer callback (`timer`). */
const bonusModule = (data: string, timer = "setTimeout") => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function grantLater(playerId: string, bonus: number, title: string) {
  const player = await prisma.player.findUnique({ where: { id: playerId } });
  if (!player) throw new Error("no player");
  ${timer}(async () => {
    await prisma.player.update({ where: { id: playerId }, data: ${data} });
  }, 1000);
}
`;

const LOST = (column: string) => ({
  line: 8,
  column: 11,
  messageId: "lostUpdate",
  data: { write: "`prisma.player.update(…)`", column: `\`${column}\``, line: 5 },
});

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a timer callback increments the coins atomically",
      code: bonusModule("{ coins: { increment: bonus } }"),
    },
    {
      name: "a timer callback writes a value from the request, not from the row",
      code: bonusModule("{ title }"),
    },
  ],
  invalid: [
    {
      name: "a setTimeout callback writes back coins computed from the row read before it",
      code: bonusModule("{ coins: player.coins + bonus }"),
      errors: [LOST("coins")],
      output: bonusModule("{ coins: { increment: bonus } }"),
    },
    {
      name: "a setInterval callback writes back coins computed from the row read before it",
      code: bonusModule("{ coins: player.coins + bonus }", "setInterval"),
      errors: [LOST("coins")],
      output: bonusModule("{ coins: { increment: bonus } }", "setInterval"),
    },
  ],
});
