// inconsistent-lock-order through long call chains and recursion: what a call may acquire is summarised bottom-up on
// the core's fixpoint (flow/bottom-up.ts `solveBottomUp`), so a lock taken ten calls down counts as one taken at the call,
// and functions calling each other get the same answer whichever is reached first.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { runRuleTests } from "../helpers/rule-tester";

const locks = `import { Mutex } from "async-mutex";
const ledgerLock = new Mutex();
const auditLock = new Mutex();
`;

/** `level1` … `levelN`, each calling the next; the last takes `auditLock`. */
const chain = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i === n - 1
      ? `async function level${i + 1}() {\n  await auditLock.runExclusive(async () => {});\n}\n`
      : `async function level${i + 1}() {\n  await level${i + 2}();\n}\n`,
  ).join("");

const TEN_DEEP = `${locks}${chain(10)}
export async function postEntry() {
  await ledgerLock.runExclusive(async () => {
    await level1();
  });
}

export async function reviewEntry() {
  await auditLock.runExclusive(async () => {
    await ledgerLock.runExclusive(async () => {});
  });
}
`;

const TEN_DEEP_SAME_ORDER = `${locks}${chain(10)}
export async function postEntry() {
  await ledgerLock.runExclusive(async () => {
    await level1();
  });
}

export async function reviewEntry() {
  await ledgerLock.runExclusive(async () => {
    await auditLock.runExclusive(async () => {});
  });
}
`;

/** `walk` and `visit` call each other; `visit` takes `auditLock` once it reaches a leaf. */
const RECURSIVE = `${locks}
async function walk(node: { children: unknown[] }, depth: number): Promise<void> {
  for (const child of node.children) await visit(child as { children: unknown[] }, depth + 1);
}

async function visit(node: { children: unknown[] }, depth: number): Promise<void> {
  if (node.children.length === 0) {
    await auditLock.runExclusive(async () => {});
    return;
  }
  await walk(node, depth);
}

export async function postTree(root: { children: unknown[] }) {
  await ledgerLock.runExclusive(async () => {
    await walk(root, 0);
  });
}

export async function reviewTree() {
  await auditLock.runExclusive(async () => {
    await ledgerLock.runExclusive(async () => {});
  });
}
`;

/** A row read by a column of itself (a use before its declaration): keys followed through the read must not loop. */
const SELF_LOOKUP = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function settle(ids: string[]) {
  await prisma.$transaction(async (tx) => {
    for (const id of ids) {
      // @ts-expect-error used before its declaration
      const lease = await tx.lease.findUnique({ where: { id: lease.id } });
      await tx.lease.update({ where: { id: lease.id }, data: { settled: true } });
    }
  });
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "a lock ten calls down, taken in the same order as everywhere else: no cycle",
      code: TEN_DEEP_SAME_ORDER,
    },
  ],
  invalid: [
    {
      name: "a row looked up by a column of itself, updated in the caller's order: reported, the key not followed forever",
      code: SELF_LOOKUP,
      errors: [{ line: 8, column: 13, messageId: "callerOrderLoop" }],
    },
    {
      name: "a lock taken ten calls down while another is held, against the opposite order elsewhere: reported at both sides",
      code: TEN_DEEP,
      errors: [
        { line: 37, column: 11, messageId: "cycle" },
        { line: 43, column: 11, messageId: "cycle" },
      ],
    },
    {
      name: "a lock taken inside mutually recursive functions while another is held: their summary is the cycle's fixpoint",
      code: RECURSIVE,
      errors: [
        { line: 19, column: 11, messageId: "cycle" },
        { line: 25, column: 11, messageId: "cycle" },
      ],
    },
  ],
});
