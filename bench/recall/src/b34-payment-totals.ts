import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property, ManyToOne } from "@mikro-orm/core";
@Entity() export class SalesOrder { @PrimaryKey() id!: string; @Property() grandTotal!: number; @Property() paidTotal!: number; @Property() outstanding!: number; }
@Entity() export class SalesPayment { @PrimaryKey() id!: string; @ManyToOne(() => SalesOrder) order!: SalesOrder; @Property() amount!: number; }
export async function recordPayment(em: EntityManager, orderId: string, amount: number) {
  const order = await em.findOneOrFail(SalesOrder, { id: orderId });
  const payment = em.create(SalesPayment, { order, amount });
  const earlier = await em.find(SalesPayment, { order: { id: orderId } });
  const paid = earlier.reduce((sum, p) => sum + p.amount, 0) + amount;
  order.paidTotal = paid;
  order.outstanding = order.grandTotal - paid;
  await em.persistAndFlush([payment, order]);
  return payment;
}
