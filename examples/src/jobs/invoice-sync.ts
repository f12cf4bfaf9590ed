// Syncing invoices to the accounting service under a per-invoice Redis lease. `syncHoldingLease` calls the remote
// service while holding a 10 s lease: a slow response outlives the lease and a second worker syncs the same invoice
// concurrently. `sync` makes the remote call first and holds the lease only for the short local write.
import Redis from "ioredis";
import { randomUUID } from "node:crypto";

const redis = new Redis();
const COMPARE_AND_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

interface Invoice {
  id: string;
  amountCents: number;
}

declare const invoices: { load(id: string): Promise<Invoice>; markSynced(id: string, remoteId: string): Promise<void> };

/** Posts an invoice to the accounting service. */
async function pushToAccounting(invoice: Invoice): Promise<string> {
  const response = await fetch("https://accounting.example/invoices", { method: "POST", body: JSON.stringify(invoice) });
  const body = (await response.json()) as { id: string };
  return body.id;
}

/** ❌ The HTTP call (through `pushToAccounting`) runs while the 10 s lease is held. */
export async function syncHoldingLease(invoiceId: string): Promise<void> {
  const token = randomUUID();
  if (!(await redis.set(`lock:invoice:${invoiceId}`, token, "PX", 10000, "NX"))) return;
  try {
    const invoice = await invoices.load(invoiceId);
    const remoteId = await pushToAccounting(invoice);
    await invoices.markSynced(invoiceId, remoteId);
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, `lock:invoice:${invoiceId}`, token);
  }
}

/** ✅ The remote call needs only the invoice: make it first, then take the lease for the write alone. */
export async function sync(invoiceId: string): Promise<void> {
  const invoice = await invoices.load(invoiceId);
  const remoteId = await pushToAccounting(invoice);
  const token = randomUUID();
  if (!(await redis.set(`lock:invoice:${invoiceId}`, token, "PX", 10000, "NX"))) return;
  try {
    await invoices.markSynced(invoiceId, remoteId);
  } finally {
    await redis.eval(COMPARE_AND_DELETE, 1, `lock:invoice:${invoiceId}`, token);
  }
}
