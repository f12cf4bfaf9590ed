// The cross-file inversion fixed: one order everywhere (ledger before audit). Posting audits after it has released
// the ledger lock, and the flush takes the ledger lock first, like everyone else.
import { Mutex } from "async-mutex";

const fixedLedgerLock = new Mutex();
const fixedAuditLock = new Mutex();
const entries: string[] = [];
const trail: string[] = [];

export async function post(entry: string): Promise<void> {
  await fixedLedgerLock.runExclusive(async () => {
    entries.push(entry);
  });
  await recordAudit(`posted ${entry}`);
}

async function recordAudit(line: string): Promise<void> {
  await fixedAuditLock.runExclusive(async () => {
    trail.push(line);
  });
}

export async function flushAudit(): Promise<void> {
  await fixedLedgerLock.runExclusive(async () => {
    await fixedAuditLock.runExclusive(async () => {
      trail.push(`ledger has ${entries.length} entries`);
    });
  });
}
