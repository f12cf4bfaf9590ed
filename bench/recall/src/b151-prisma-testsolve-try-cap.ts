import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const MAX_TRIES = 5;
// Tries are capped by reading the attempt's count, testing it, and then incrementing: parallel submissions at count 4
// all pass the test, all are judged, and the count ends above the cap.
export async function submitAnswer(userId: string, puzzleId: number, answer: string) {
  const puzzle = await prisma.puzzle.findUnique({ where: { id: puzzleId }, select: { answer: true } });
  if (!puzzle) return { ok: false as const, error: "Puzzle not found" };
  const attempt = await prisma.attempt.findUnique({ where: { userId_puzzleId: { userId, puzzleId } } });
  if (!attempt) return { ok: false as const, error: "Tried to submit before starting" };
  if (attempt.tries >= MAX_TRIES) return { ok: false as const, error: `Reached the limit of ${MAX_TRIES} tries` };
  if (attempt.gaveUp) return { ok: false as const, error: "Tried to submit after giving up" };
  const correct = answer === puzzle.answer;
  await prisma.attempt.update({
    where: { userId_puzzleId: { userId, puzzleId } },
    data: { tries: { increment: 1 }, solvedAt: correct ? new Date() : undefined },
  });
  return { ok: true as const, correct, left: Math.max(0, MAX_TRIES - (attempt.tries + 1)) };
}
// Correct: the cap is part of the write's condition, and a write that changed no row lost the race.
export async function submitAnswerGuarded(userId: string, puzzleId: number, answer: string) {
  const puzzle = await prisma.puzzle.findUnique({ where: { id: puzzleId }, select: { answer: true } });
  if (!puzzle) return { ok: false as const, error: "Puzzle not found" };
  const correct = answer === puzzle.answer;
  const claimed = await prisma.attempt.updateMany({
    where: { userId, puzzleId, gaveUp: false, tries: { lt: MAX_TRIES } },
    data: { tries: { increment: 1 }, solvedAt: correct ? new Date() : undefined },
  });
  if (claimed.count === 0) return { ok: false as const, error: "No tries left" };
  return { ok: true as const, correct };
}
