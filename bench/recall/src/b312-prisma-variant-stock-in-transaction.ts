import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
interface CartLine {
  variantId: string;
  quantity: number;
}
// Placing an order reads each variant's stock inside an interactive transaction, refuses a line that asks for more than
// is left, writes the stock back as read minus the quantity and records the line. The transaction runs at READ
// COMMITTED and reads without a lock: two orders for the last unit both read 1, both pass and both write 0.
export async function placeOrder(orderId: string, lines: CartLine[]) {
  return prisma.$transaction(async (tx) => {
    for (const line of lines) {
      const variant = await tx.shopVariant.findUnique({ where: { id: line.variantId } });
      if (!variant) throw new Error(`variant ${line.variantId} not found`);
      if (variant.stock < line.quantity) throw new Error(`not enough stock for ${variant.sku}`);
      await tx.shopVariant.update({ where: { id: variant.id }, data: { stock: variant.stock - line.quantity } });
      await tx.shopOrderLine.create({ data: { orderId, variantId: variant.id, quantity: line.quantity } });
    }
  });
}
// Correct: the decrement is guarded by the stock it needs, and a line whose guarded update matched no row aborts.
export async function placeOrderGuarded(orderId: string, lines: CartLine[]) {
  return prisma.$transaction(async (tx) => {
    for (const line of lines) {
      const taken = await tx.shopVariant.updateMany({
        where: { id: line.variantId, stock: { gte: line.quantity } },
        data: { stock: { decrement: line.quantity } },
      });
      if (taken.count === 0) throw new Error(`not enough stock for ${line.variantId}`);
      await tx.shopOrderLine.create({ data: { orderId, variantId: line.variantId, quantity: line.quantity } });
    }
  });
}
