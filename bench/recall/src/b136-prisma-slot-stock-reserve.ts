import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type Line = { productId: number; quantity: number };
// Each line's free stock (total − reserved) is checked before the transaction, and the transaction then raises the
// reservation without asking for room: two orders for the last loaf both pass the check and both reserve it.
export async function placeBakeryOrder(slotId: number, lines: Line[]) {
  for (const line of lines) {
    const stock = await prisma.slotStock.findUnique({
      where: { productId_slotId: { productId: line.productId, slotId } },
    });
    if (stock && stock.totalStock - stock.reservedStock < line.quantity) {
      throw new Error(`not enough stock for product ${line.productId}`);
    }
  }
  return prisma.$transaction(async (tx) => {
    const order = await tx.bakeryOrder.create({ data: { slotId, status: "pending" } });
    for (const line of lines) {
      await tx.slotStock.updateMany({
        where: { productId: line.productId, slotId },
        data: { reservedStock: { increment: line.quantity } },
      });
    }
    return order;
  });
}
