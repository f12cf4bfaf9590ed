import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// A function every production call of which is awaited while the caller holds one application lock (here a busy flag
// tested and set before any await, cleared in `finally`) never runs twice at once: the block cursor it reads and moves
// on is not raced by a second run. Reached also without the lock, or called without waiting for it, it stays reported.
// (Session 21: an attestation indexer's poll loop.)
const sync = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function fetchTransfers(from: number, to: number): Promise<{ id: string; block: number }[]>;
export async function syncTransfers(to: number) {
  const checkpoint = await prisma.checkpoint.findUnique({ where: { name: "transfers" } });
  const from = Number(checkpoint?.value ?? 0) + 1;
  await prisma.transfer.createMany({ data: await fetchTransfers(from, to), skipDuplicates: true });
  await prisma.checkpoint.update({ where: { name: "transfers" }, data: { value: String(Number(checkpoint?.value ?? 0) + (to - from + 1)) } });
}
`;
const SYNC = "src/sync.ts";
const ERROR = { line: 8, column: 9, messageId: "lostUpdate", filename: SYNC };

/** The poller: `call` runs under the module's busy flag. */
const poller = (call: string, extra = "") => `import { syncTransfers } from "./sync";
let running = false;
export async function poll(head: number) {
  if (running) return;
  running = true;
  try {
    ${call}
  } finally {
    running = false;
  }
}
${extra}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the cursor sync is called only by the poll loop, awaited under its busy flag",
      filename: "src/poll.ts",
      files: { [SYNC]: sync },
      code: poller("await syncTransfers(head);"),
    },
  ],
  invalid: [
    {
      name: "the same sync also awaited by an admin route without the flag: a request's run can overlap the loop's",
      filename: "src/poll.ts",
      files: { [SYNC]: sync },
      code: poller("await syncTransfers(head);", "export async function resync(head: number) {\n  await syncTransfers(head);\n}\n"),
      errors: [ERROR],
    },
    {
      name: "the poll loop starts the sync without waiting for it: the flag is cleared while the run goes on",
      filename: "src/poll.ts",
      files: { [SYNC]: sync },
      code: poller("void syncTransfers(head);"),
      errors: [ERROR],
    },
  ],
});
