// Order fulfilment on the app's own locks (../locking/locks.ts): a Redis lease per order across workers, a keyed
// in-process lock per customer. The ❌ functions call a slow remote service while holding a lock.
import Redis from "ioredis";
import { KeyedLock, RedisLeases } from "../locking/locks.js";

const leases = new RedisLeases(new Redis(), 30_000);
const customers = new KeyedLock();

declare function loadOrder(orderId: string): Promise<{ id: string; address: string; shipped: boolean }>;
declare function markShipped(orderId: string, trackingNumber: string): Promise<void>;
declare function addLoyaltyPoints(customerId: string, points: number): Promise<void>;

/**
 * ❌ Books the carrier label inside the order's lease: a carrier slower than the lease's 30 s lets another worker take
 * the lease and ship the order a second time.
 */
export async function shipOrder(orderId: string): Promise<void> {
  await leases.withLease(orderId, async () => {
    const order = await loadOrder(orderId);
    if (order.shipped) return;
    const response = await fetch("https://carrier.example/labels", { method: "POST", body: JSON.stringify(order) });
    const { trackingNumber } = (await response.json()) as { trackingNumber: string };
    await markShipped(orderId, trackingNumber);
  });
}

/** ❌ Calls the loyalty service while every other request of the same customer waits for the in-process lock. */
export async function rewardCustomer(customerId: string, points: number): Promise<void> {
  await customers.run(customerId, async () => {
    await fetch(`https://loyalty.example/customers/${customerId}/points`, { method: "POST", body: String(points) });
    await addLoyaltyPoints(customerId, points);
  });
}

/** ✅ Only the local write runs under the customer's lock; the remote call comes first. */
export async function rewardCustomerShortLock(customerId: string, points: number): Promise<void> {
  await fetch(`https://loyalty.example/customers/${customerId}/points`, { method: "POST", body: String(points) });
  await customers.run(customerId, () => addLoyaltyPoints(customerId, points));
}
