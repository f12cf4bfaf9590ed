// Cross-file inversion, part 1: posting to the ledger holds `ledgerLock` and then audits, which takes `auditLock`
// (audit.ts). audit.ts flushes while holding `auditLock` and then takes `ledgerLock`: opposite orders, a deadlock.
// Locksmith: inconsistent-lock-order, reported in both files with the other path as related locations.
import { Mutex } from "async-mutex";
import { recordAudit } from "./audit";

export const ledgerLock = new Mutex();
const entries: string[] = [];

export async function post(entry: string): Promise<void> {
  await ledgerLock.runExclusive(async () => {
    entries.push(entry);
    await recordAudit(`posted ${entry}`);
  });
}

export function ledgerSize(): number {
  return entries.length;
}
