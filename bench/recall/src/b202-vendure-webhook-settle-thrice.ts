import { Order, OrderService, RequestContext, TransactionalConnection } from "@vendure/core";
interface PaymentSucceededEvent {
  orderCode: string;
  amount: number;
  intentId: string;
}
// The payment webhook loads the order, returns when it is no longer arranging payment, and otherwise adds a settled
// payment. The provider delivered the same event three times at once: all three loads saw ArrangingPayment, so the
// order got three settled payments and three "order placed" events.
export class PaymentWebhookHandler {
  constructor(
    private orderService: OrderService,
    private connection: TransactionalConnection,
  ) {}
  async onPaymentSucceeded(ctx: RequestContext, event: PaymentSucceededEvent) {
    const order = await this.orderService.findOneByCode(ctx, event.orderCode);
    if (!order || order.state !== "ArrangingPayment") return;
    await this.orderService.addPaymentToOrder(ctx, order.id, {
      method: "card-intent",
      metadata: { intentId: event.intentId, amount: event.amount },
    });
  }
  // Correct: the order row is locked for update inside the request's transaction before its state is tested, so a
  // second delivery waits and then sees the order already settled.
  async onPaymentSucceededLocked(ctx: RequestContext, event: PaymentSucceededEvent) {
    await this.connection.withTransaction(ctx, async (txCtx) => {
      const order = await this.connection
        .getRepository(txCtx, Order)
        .findOne({ where: { code: event.orderCode }, lock: { mode: "pessimistic_write" } });
      if (!order || order.state !== "ArrangingPayment") return;
      await this.orderService.addPaymentToOrder(txCtx, order.id, {
        method: "card-intent",
        metadata: { intentId: event.intentId, amount: event.amount },
      });
    });
  }
}
