import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const WINDOW_MS = 60_000;
// The limiter reads the bucket's window, refuses at the cap, otherwise increments. The increment itself is atomic, but
// the cap was tested on the count read before it: a burst of requests all read 9 of 10 and all pass.
export async function admitRequest(bucket: string, cap: number) {
  const now = new Date();
  const window = await prisma.requestWindow.findUnique({ where: { bucket } });
  if (!window || now.getTime() - window.openedAt.getTime() > WINDOW_MS) {
    await prisma.requestWindow.upsert({
      where: { bucket },
      create: { bucket, openedAt: now, hits: 1 },
      update: { openedAt: now, hits: 1 },
    });
    return true;
  }
  if (window.hits >= cap) return false;
  await prisma.requestWindow.update({ where: { bucket }, data: { hits: { increment: 1 } } });
  return true;
}
// Correct: the window is reset by an updateMany whose filter repeats the expiry, and the increment carries the cap in
// its filter; each count says whether this request did the write.
export async function admitRequestGuarded(bucket: string, cap: number) {
  const now = new Date();
  await prisma.requestWindow.upsert({ where: { bucket }, create: { bucket, openedAt: now, hits: 0 }, update: {} });
  await prisma.requestWindow.updateMany({
    where: { bucket, openedAt: { lt: new Date(now.getTime() - WINDOW_MS) } },
    data: { openedAt: now, hits: 0 },
  });
  const bumped = await prisma.requestWindow.updateMany({
    where: { bucket, hits: { lt: cap } },
    data: { hits: { increment: 1 } },
  });
  return bumped.count === 1;
}
