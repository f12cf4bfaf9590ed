// Session 32's held-out precision check (wt-judge). The FALSE shapes fixed, written freshly:
// - rows updated in the caller's order inside a transaction that first wrote a row by a value every one of those rows
//   is filtered by (an exam's answers, after the exam row itself): overlapping calls queue on that first row.
// - modules in test support folders (`test-support/`, `test-utils/`, `test-helpers/`), loaded only by a test setup.
// Beside each, the nearest real mistakes stay reported.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "../../server/src/engine/config";
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
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
      code: scoreRounds('const found = await db("tournaments").transacting(trx).where("id", tournamentId).first();\n    if (!found) throw new Error("no tournament");'),
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
