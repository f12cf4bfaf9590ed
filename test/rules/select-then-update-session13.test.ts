// select-then-update, session 13 (issue #15): shapes still reported on real services and judged safe, each next to a
// look-alike that stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const CARDS = "src/cards.ts";

/** Appends a card to a board, numbered after the last one, through the transaction it is given (no lock of its own). */
const cards = `import { Prisma } from "@prisma/client";

export async function addCard(tx: Prisma.TransactionClient, boardId: string, title: string) {
  const last = await tx.card.findFirst({ where: { boardId }, orderBy: { position: "desc" } });
  return tx.card.create({ data: { boardId, title, position: (last?.position ?? 0) + 1 } });
}
`;

/**
 * A board's operations: `persistBoardOperation` opens the transaction and runs `lock` first, then a dispatcher that
 * only passes the transaction on calls `addCard`; `extra` is more code of the module.
 */
const operations = (lock: string, extra = "") => `import { PrismaClient, Prisma } from "@prisma/client";
import { addCard } from "./cards";

const prisma = new PrismaClient();

type BoardOperation = { kind: "add" | "rename"; title: string };

async function applyCardOperation(tx: Prisma.TransactionClient, boardId: string, operation: BoardOperation) {
  if (operation.kind === "add") await addCard(tx, boardId, operation.title);
}

export function persistBoardOperation(boardId: string, operation: BoardOperation) {
  return prisma.$transaction(async (tx) => {
    ${lock}
    await applyCardOperation(tx, boardId, operation);
  });
}
${extra}`;

/** Serialises a board's operations: the board row stays locked until the transaction commits. */
const BOARD_LOCK = "await tx.board.update({ where: { id: boardId }, data: { updatedAt: new Date() } });";

/** The append's insert (line 5) numbered from `position` read at line 4. */
const DUPLICATE_POSITION = { line: 5, column: 10, filename: CARDS, messageId: "insertFromRead" };

/**
 * A tracing service's run events: the end event logs the metadata it is given merged into the stored one;
 * `updateBranch` is what the update event runs, after `else`.
 */
const recordRunEvent = (updateBranch: string) => `import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL!);

export async function recordRunEvent(runId: string, event: string, metadata?: Record<string, unknown>) {
  if (event === "end") {
    const [run] = await sql\`select metadata from runs where id = \${runId}\`;
    if (run && metadata) metadata = { ...run.metadata, ...metadata };
    await sql\`insert into run_events (run_id, kind, metadata) values (\${runId}, 'end', \${sql.json(metadata ?? {})})\`;
  } else ${updateBranch}
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the update event writes the caller's metadata in a sibling branch of the read: no path runs it after the read",
      code: recordRunEvent(`if (event === "update") {
    await sql\`update runs set metadata = \${sql.json(metadata ?? {})} where id = \${runId}\`;
  }`),
    },
    {
      name: "the parent board row is locked two calls up: the dispatcher between only passes the transaction on",
      code: operations(BOARD_LOCK),
      files: { [CARDS]: cards },
    },
  ],
  invalid: [
    {
      name: "the same write after the if/else: it runs after the end event's read, with the merged metadata",
      code: recordRunEvent(`if (event === "update") {
    await sql\`update runs set updated_at = now() where id = \${runId}\`;
  }
  if (metadata) await sql\`update runs set metadata = \${sql.json(metadata)} where id = \${runId}\`;`),
      errors: [{ line: 12, column: 23, messageId: "lostUpdate" }],
    },
    {
      name: "the same dispatcher under a transaction that locks nothing: two appends both number their card alike",
      code: operations(""),
      files: { [CARDS]: cards },
      errors: [DUPLICATE_POSITION],
    },
    {
      name: "the dispatcher also run by an import in a transaction of its own, without the board lock",
      code: operations(
        BOARD_LOCK,
        `
export function importCards(boardId: string, titles: string[]) {
  return prisma.$transaction(async (tx) => {
    for (const title of titles) await applyCardOperation(tx, boardId, { kind: "add", title });
  });
}
`,
      ),
      files: { [CARDS]: cards },
      errors: [DUPLICATE_POSITION],
    },
  ],
});
