// False-alarm pattern 53 (GC Forms' edit locks, session 23), fixed in session 24: a DEL queued in MULTI … EXEC inside
// a callback that a project function runs only after WATCHing the key (in a retry loop's inner function), past the
// callback's test of the owner it was handed, is an optimistic compare-and-delete: EXEC aborts when the key changed
// after the WATCH. The same callback with no owner test, or run by a function that never WATCHes, stays reported.
import { unsafeLockRelease } from "../../rules/unsafe-lock-release";
import { runRuleTests } from "../helpers/rule-tester";

const boardLocks = (runner: string, release: string) => `import Redis from "ioredis";
const redis = new Redis();
const boardKey = (boardId: string) => \`board-lock:\${boardId}\`;

export async function lockBoard(boardId: string, editorId: string) {
  return (await redis.set(boardKey(boardId), editorId, "EX", 120, "NX")) === "OK";
}

async function guarded<T>(boardId: string, step: (holder: string | null) => Promise<T | null>): Promise<T> {
  const key = boardKey(boardId);
  const attempt = async (n: number): Promise<T> => {
${runner}
    const holder = await redis.get(key);
    const outcome = await step(holder);
    await redis.unwatch();
    if (outcome !== null || n >= 3) return outcome as T;
    return attempt(n + 1);
  };
  return attempt(0);
}

export async function unlockBoard(boardId: string, editorId: string) {
  return guarded(boardId, async (holder) => {
${release}
  });
}
`;

const WATCH = "    await redis.watch(key);";
const CHECKED = `    if (holder === null || holder !== editorId) return false;
    const done = await redis.multi().del(boardKey(boardId)).exec();
    return done ? true : null;`;

runRuleTests(unsafeLockRelease, {
  valid: [
    {
      name: "a DEL in MULTI/EXEC in a callback run after WATCH, past its test of the holder it was handed",
      code: boardLocks(WATCH, CHECKED),
    },
    {
      name: "the same with the transaction kept in a const and the DEL under the owner test",
      code: boardLocks(
        WATCH,
        `    if (holder === editorId) {
      const tx = redis.multi();
      tx.del(boardKey(boardId));
      return (await tx.exec()) ? true : null;
    }
    return false;`,
      ),
    },
  ],
  invalid: [
    {
      name: "the callback deletes without testing the holder: a lock taken before the WATCH is deleted",
      code: boardLocks(WATCH, `    const done = await redis.multi().del(boardKey(boardId)).exec();\n    return done ? true : null;`),
      errors: [{ line: 24, column: 24, messageId: "unchecked" }],
    },
    {
      name: "the runner never WATCHes the key: the test and the DEL are separate commands",
      code: boardLocks("", CHECKED),
      errors: [{ line: 25, column: 24, messageId: "unchecked" }],
    },
  ],
});
