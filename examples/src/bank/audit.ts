// Cross-file inversion, part 2 (see ledger.ts).
import { Mutex } from "async-mutex";
import { ledgerLock, ledgerSize } from "./ledger";

const auditLock = new Mutex();
const trail: string[] = [];

export async function recordAudit(line: string): Promise<void> {
  await auditLock.runExclusive(async () => {
    trail.push(line);
  });
}

export async function flushAudit(): Promise<void> {
  await auditLock.runExclusive(async () => {
    await ledgerLock.runExclusive(async () => {
      trail.push(`ledger has ${ledgerSize()} entries`);
    });
  });
}
