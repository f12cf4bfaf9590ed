import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// A scheduled job is made exclusive with a lock row keyed by the job's name (its primary key makes a second create
// fail). The task runs between the create and the delete, and the delete is not in a finally: a task that throws leaves
// the row behind, and the job never runs again anywhere until the row is deleted by hand.
export async function runJobExclusively(jobName: string, task: () => Promise<void>) {
  const held = await prisma.jobLease.findUnique({ where: { jobName } });
  if (held !== null) return false;
  await prisma.jobLease.create({ data: { jobName } });
  await task();
  await prisma.jobLease.delete({ where: { jobName } });
  return true;
}
// Correct: the create is the acquisition (a duplicate means taken), and the row is deleted in finally.
export async function runJobExclusivelyReleased(jobName: string, task: () => Promise<void>) {
  try {
    await prisma.jobLease.create({ data: { jobName } });
  } catch {
    return false;
  }
  try {
    await task();
    return true;
  } finally {
    await prisma.jobLease.delete({ where: { jobName } });
  }
}
