// Checkout serialises payments per process with an in-process mutex.
import { Mutex } from "async-mutex";

const paymentsMutex = new Mutex();

interface PaymentGateway {
  charge(customerId: string, cents: number): Promise<string>;
}
interface Ledger {
  record(customerId: string, cents: number, chargeId: string): Promise<void>;
}

// ❌ lock-release-not-guaranteed: a declined card throws out of `charge`, `release()` never runs,
// and every later checkout waits forever for `paymentsMutex`.
export async function checkout(gateway: PaymentGateway, ledger: Ledger, customerId: string, cents: number) {
  const release = await paymentsMutex.acquire();
  if (cents <= 0) return undefined;
  const chargeId = await gateway.charge(customerId, cents);
  await ledger.record(customerId, cents, chargeId);
  release();
  return chargeId;
}

// ✅ The release is in `finally`: it runs on every way out.
export async function checkoutSafely(gateway: PaymentGateway, ledger: Ledger, customerId: string, cents: number) {
  const release = await paymentsMutex.acquire();
  try {
    if (cents <= 0) return undefined;
    const chargeId = await gateway.charge(customerId, cents);
    await ledger.record(customerId, cents, chargeId);
    return chargeId;
  } finally {
    release();
  }
}

// ✅ Or the scoped form, which cannot leak.
export function refund(gateway: PaymentGateway, customerId: string, cents: number) {
  return paymentsMutex.runExclusive(() => gateway.charge(customerId, -cents));
}
