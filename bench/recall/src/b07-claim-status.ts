import { PrismaClient } from "@prisma/client";
const db = new PrismaClient();
declare function sendFunds(id: string, amount: number): Promise<void>;
export async function processWithdrawal(withdrawalId: string) {
  const w = await db.withdrawal.findFirst({ where: { id: withdrawalId, status: "PENDING" } });
  if (!w) throw new Error("already processing");
  await db.withdrawal.update({ where: { id: w.id }, data: { status: "PROCESSING" } });
  await sendFunds(w.id, w.amount);
  await db.withdrawal.update({ where: { id: w.id }, data: { status: "DONE" } });
}
