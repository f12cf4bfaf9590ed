import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// The next due job is found, then marked processing by id in a second statement that no longer asks for its status:
// two workers both find the same pending job and both run it (duplicate mails, double-counted clicks).
export async function claimNextTask(now = new Date()) {
  const task = await prisma.backgroundTask.findFirst({
    where: { OR: [{ status: "PENDING" }, { status: "SCHEDULED", runAfter: { lte: now } }] },
    orderBy: { createdAt: "asc" },
  });
  if (!task) return null;
  return prisma.backgroundTask.update({ where: { id: task.id }, data: { status: "PROCESSING", startedAt: now } });
}
// Correct: the claim asks that the task still be pending, and only the worker whose update matched runs it.
export async function claimTaskGuarded(taskId: string, now = new Date()) {
  const { count } = await prisma.backgroundTask.updateMany({
    where: { id: taskId, status: "PENDING" },
    data: { status: "PROCESSING", startedAt: now },
  });
  return count === 1;
}
