// Session 32's held-out precision check (wt-judge). The FALSE shapes fixed, written freshly:
// - rows updated in the caller's order inside a transaction that first wrote a row by a value every one of those rows
//   is filtered by (an exam's answers, after the exam row itself): overlapping calls queue on that first row.
// - modules in test support folders (`test-support/`, `test-utils/`, `test-helpers/`), loaded only by a test setup.
// - a keyed promise queue (a `Map` of turns per key: read the previous turn, store one's own, wait, run the task)
//   around a Redis read-modify-write: the tasks of one key run one after the other.
// - a try-lease (losers leave) around an HTTP call aborted by a timer shorter than the lease: the call cannot outlast
//   the lease and nobody waits for it.
// Beside each, the nearest real mistakes stay reported.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "../../server/src/engine/config";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const prismaClient = `import { PrismaClient } from "@prisma/client";
export const prisma = new PrismaClient();
`;

/** An exam graded in one transaction: `first` runs before the loop over the grades, `row` filters each answer. */
const gradeExam = (first: string, row: string) => `import { prisma } from "./db";

export async function gradeExam(examId: string, otherId: string, grades: { position: number; points: number; answerId: string }[], byHand: boolean) {
  return prisma.$transaction(async (tx) => {
    ${first}
    for (const grade of grades) {
      await tx.answer.update({ where: ${row}, data: { points: grade.points } });
    }
  });
}
`;

const EXAM_ROW = "await tx.exam.update({ where: { id: examId }, data: { gradedAt: new Date() } });";
const ANSWER_OF_EXAM = "{ examId_position: { examId, position: grade.position } }";

/** The same with knex: the tournament's row first, then each of its matches by round. */
const scoreRounds = (first: string) => `import type { Knex } from "knex";

export async function scoreRounds(db: Knex, tournamentId: number, rounds: { round: number; score: number }[]) {
  await db.transaction(async (trx) => {
    ${first}
    for (const r of rounds) {
      await db("matches").transacting(trx).where({ tournament: tournamentId, round: r.round }).update({ score: r.score });
    }
  });
}
`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "prisma: every answer updated is one of the exam whose row the transaction updated first",
      files: { "src/db.ts": prismaClient },
      filename: "src/grading.ts",
      code: gradeExam(EXAM_ROW, ANSWER_OF_EXAM),
    },
    {
      name: "knex: every match updated belongs to the tournament whose row the transaction updated first",
      filename: "src/rounds.ts",
      code: scoreRounds(
        'const touched = await db("tournaments").transacting(trx).where("id", tournamentId).update({ scoredAt: new Date() });\n    if (!touched) throw new Error("no tournament");',
      ),
    },
  ],
  invalid: [
    {
      name: "prisma: the row updated first is another exam's, so the answers are not queued behind it",
      files: { "src/db.ts": prismaClient },
      filename: "src/grading.ts",
      code: gradeExam("await tx.exam.update({ where: { id: otherId }, data: { gradedAt: new Date() } });", ANSWER_OF_EXAM),
      errors: [{ line: 7, column: 13, messageId: "callerOrderLoop" }],
    },
    {
      name: "prisma: the exam row is updated on one path only",
      files: { "src/db.ts": prismaClient },
      filename: "src/grading.ts",
      code: gradeExam(`if (byHand) ${EXAM_ROW}`, ANSWER_OF_EXAM),
      errors: [{ line: 7, column: 13, messageId: "callerOrderLoop" }],
    },
    {
      name: "prisma: answers named by their own keys share nothing with the exam row",
      files: { "src/db.ts": prismaClient },
      filename: "src/grading.ts",
      code: gradeExam(EXAM_ROW, "{ id: grade.answerId }"),
      errors: [{ line: 7, column: 13, messageId: "callerOrderLoop" }],
    },
    {
      name: "knex: the tournament row is only read, which locks nothing",
      filename: "src/rounds.ts",
      code: scoreRounds(
        'const found = await db("tournaments").transacting(trx).where("id", tournamentId).first();\n    if (!found) throw new Error("no tournament");',
      ),
      errors: [{ line: 8, column: 13, messageId: "callerOrderLoop" }],
    },
  ],
});

describe("test support folders", () => {
  const ROOT = "/home/dev/club";
  const ignoredBy = (file: string) => resolveConfig({}, undefined, ROOT, [], {}).ignoredBy(`${ROOT}/${file}`);

  test("modules of test-support, test-utils and test-helpers folders are not production code", () => {
    for (const file of [
      "backend/src/test-support/test-support.service.ts",
      "packages/api/src/test-utils/factories.ts",
      "src/test-helpers/seed-wallets.ts",
    ])
      assert.equal(ignoredBy(file), "nonProductionFiles", file);
  });

  test("look-alike production folders are linted", () => {
    for (const file of ["src/support/tickets.service.ts", "src/utils/test-mode.ts", "src/helpers/testimonials.ts"])
      assert.equal(ignoredBy(file), undefined, file);
  });
});

/** A queue of turns per key, made by a factory (`queue.run(key, task)`); `wait` is how the turn waits. */
const turnQueue = (wait: string) => `export function turnQueue() {
  const turns = new Map<string, Promise<void>>();

  async function run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = turns.get(key) ?? Promise.resolve();
    let finish!: () => void;
    const mine = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const turn = previous.then(() => mine);
    turns.set(key, turn);
    ${wait}
    try {
      return await task();
    } finally {
      finish();
      if (turns.get(key) === turn) turns.delete(key);
    }
  }

  return { run };
}
`;

/** Seats of a show kept in a Redis hash, taken under the queue's turn for the show. */
const takeSeat = (queueKey: string) => `import Redis from "ioredis";
import { turnQueue } from "./turns";

const redis = new Redis();
const shows = turnQueue();

export async function takeSeat(showId: string, otherId: string) {
  return shows.run(${queueKey}, async () => {
    const raw = await redis.hget("shows", showId);
    if (!raw) return null;
    const show = JSON.parse(raw);
    await redis.hset("shows", showId, JSON.stringify({ ...show, free: show.free - 1 }));
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "redis: the read-modify-write of a show runs in the show's turn of a keyed promise queue",
      files: { "src/turns.ts": turnQueue("await previous;") },
      filename: "src/seats.ts",
      code: takeSeat("showId"),
    },
  ],
  invalid: [
    {
      name: "redis: a queue that never waits for the previous turn serialises nothing",
      files: { "src/turns.ts": turnQueue("void previous;") },
      filename: "src/seats.ts",
      code: takeSeat("showId"),
      errors: [{ line: 12, column: 11, messageId: "redisLostUpdate" }],
    },
  ],
});

/** A webhook delivered under a try-lease of the hook; `signal` aborts the request, `lost` is what a loser does. */
const deliverHook = (setup: string, signal: string, lost = "return;") => `import Redis from "ioredis";
import { randomUUID } from "node:crypto";

const redis = new Redis();
const LEASE_MS = 20_000;

async function post(url: string, body: string) {
  ${setup}
  const response = await fetch(url, { method: "POST", body${signal} });
  return response.status;
}

export async function deliver(hookId: string, url: string, body: string) {
  const key = \`hook:\${hookId}\`;
  const token = randomUUID();
  const taken = await redis.set(key, token, "PX", LEASE_MS, "NX");
  if (taken !== "OK") {
    ${lost}
  }
  try {
    return await post(url, body);
  } finally {
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end", 1, key, token);
  }
}
`;

const ABORT_TIMER = (ms: string) => `const controller = new AbortController();
  setTimeout(() => controller.abort(), ${ms});`;

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "fetch aborted by a controller's 8 s timer under a 20 s try-lease whose losers leave",
      filename: "src/hooks.ts",
      code: deliverHook(
        ABORT_TIMER("8_000"),
        ", signal: controller.signal",
        'await redis.zadd("hooks:later", Date.now() + 1000, hookId);\n    return;',
      ),
    },
    {
      name: "fetch given AbortSignal.timeout shorter than the lease",
      filename: "src/hooks.ts",
      code: deliverHook("const signal = AbortSignal.timeout(5 * 1000);", ", signal"),
    },
  ],
  invalid: [
    {
      name: "the abort timer is longer than the lease",
      filename: "src/hooks.ts",
      code: deliverHook(ABORT_TIMER("30_000"), ", signal: controller.signal"),
      errors: [{ line: 22, column: 12, messageId: "underExpiringLease" }],
    },
    {
      name: "no abort signal: the request may outlast the lease",
      filename: "src/hooks.ts",
      code: deliverHook("", ""),
      errors: [{ line: 21, column: 12, messageId: "underExpiringLease" }],
    },
  ],
});
