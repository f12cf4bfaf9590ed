import { Queue } from "bullmq";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const syncQueue = new Queue("repo-sync", { connection: { url: process.env.REDIS_URL } });
// The scheduler runs every five seconds from setInterval, which does not wait for the previous run. A run lists the
// repositories due for a sync, queues a job for each and then marks them queued; when a run takes longer than the
// interval the next one lists the same repositories before they are marked, and each is synced twice.
async function scheduleDueSyncs() {
  const due = await prisma.codeRepo.findMany({
    where: { syncStatus: "idle", nextSyncAt: { lte: new Date() } },
    take: 100,
  });
  for (const repo of due) {
    await syncQueue.add("sync", { repoId: repo.id });
    await prisma.codeRepo.update({ where: { id: repo.id }, data: { syncStatus: "queued" } });
  }
}
export function startSyncScheduler() {
  return setInterval(() => void scheduleDueSyncs(), 5_000);
}
// Correct: each repository is claimed by a conditional update before its job is queued; a run that claims nothing
// skips the repository another run took.
async function scheduleDueSyncsClaimed() {
  const due = await prisma.codeRepo.findMany({
    where: { syncStatus: "idle", nextSyncAt: { lte: new Date() } },
    take: 100,
  });
  for (const repo of due) {
    const { count } = await prisma.codeRepo.updateMany({
      where: { id: repo.id, syncStatus: "idle" },
      data: { syncStatus: "queued" },
    });
    if (count === 1) await syncQueue.add("sync", { repoId: repo.id });
  }
}
export function startSyncSchedulerClaimed() {
  return setInterval(() => void scheduleDueSyncsClaimed(), 5_000);
}
