import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function topUp(streamId: string, amount: number) {
  const stream = await prisma.stream.findUnique({ where: { id: streamId } });
  if (!stream) throw new Error("no stream");
  const deposited = stream.depositedAmount + amount;
  return prisma.stream.update({ where: { id: streamId }, data: { depositedAmount: deposited } });
}
