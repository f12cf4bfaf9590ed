import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type Completion = { lessonId: string; completedAt: number };
export async function recordCompletion(userId: string, lessonId: string) {
  const learner = await prisma.learner.findUniqueOrThrow({ where: { id: userId }, select: { completions: true, progressStamps: true } });
  const completions = learner.completions as Completion[];
  if (completions.some((c) => c.lessonId === lessonId)) return learner;
  const now = Date.now();
  return prisma.learner.update({
    where: { id: userId },
    data: { completions: [...completions, { lessonId, completedAt: now }], progressStamps: [...(learner.progressStamps as number[]), now] },
  });
}
// Correct twin: the database appends, nothing read is written back.
export async function recordCompletionAtomic(userId: string, lessonId: string) {
  const now = Date.now();
  return prisma.learner.update({
    where: { id: userId },
    data: { completions: { push: { lessonId, completedAt: now } }, progressStamps: { push: now } },
  });
}
