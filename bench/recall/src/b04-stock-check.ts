import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function createOrder(userId: string, items: { dishId: string; quantity: number }[]) {
  const dishes = await prisma.dish.findMany({ where: { id: { in: items.map((i) => i.dishId) } } });
  const byId = new Map(dishes.map((d) => [d.id, d]));
  for (const item of items) {
    const dish = byId.get(item.dishId)!;
    if (dish.trackStock && dish.stockQty < item.quantity) throw new Error(`Insufficient stock for ${dish.name}`);
  }
  const order = await prisma.order.create({ data: { userId } });
  for (const item of items) {
    const dish = byId.get(item.dishId)!;
    if (dish.trackStock) {
      await prisma.dish.update({ where: { id: item.dishId }, data: { stockQty: { decrement: item.quantity } } });
    }
  }
  return order;
}
export async function reserveSeat(eventId: string, qty: number) {
  const ev = await prisma.event.findUnique({ where: { id: eventId } });
  if (!ev || ev.seatsLeft < qty) throw new Error("sold out");
  await prisma.event.update({ where: { id: eventId }, data: { seatsLeft: { decrement: qty } } });
}
