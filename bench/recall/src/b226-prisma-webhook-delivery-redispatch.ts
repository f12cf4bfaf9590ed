import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function postToSubscriber(targetUrl: string, payload: unknown): Promise<number>;
// Every replica runs this sweep each minute. It lists the deliveries due for another attempt, posts each one and only
// then records the outcome: two replicas list the same rows and the subscriber receives every event twice.
export async function retryDueDeliveries() {
  const due = await prisma.hookDelivery.findMany({
    where: { state: "pending", nextAttemptAt: { lte: new Date() } },
    take: 50,
  });
  for (const delivery of due) {
    const status = await postToSubscriber(delivery.targetUrl, delivery.payload);
    await prisma.hookDelivery.update({
      where: { id: delivery.id },
      data: { state: status < 300 ? "delivered" : "failed", attempts: { increment: 1 } },
    });
  }
}
// Correct: each row is claimed by a guarded updateMany before the post; its count says whether this replica won it.
export async function retryDueDeliveriesClaimed() {
  const due = await prisma.hookDelivery.findMany({
    where: { state: "pending", nextAttemptAt: { lte: new Date() } },
    take: 50,
  });
  for (const delivery of due) {
    const claim = await prisma.hookDelivery.updateMany({
      where: { id: delivery.id, state: "pending" },
      data: { state: "sending" },
    });
    if (claim.count === 0) continue;
    const status = await postToSubscriber(delivery.targetUrl, delivery.payload);
    await prisma.hookDelivery.update({
      where: { id: delivery.id },
      data: { state: status < 300 ? "delivered" : "failed", attempts: { increment: 1 } },
    });
  }
}
