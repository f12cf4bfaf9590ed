// lock-across-await under a transaction-scoped advisory lock (`pg_advisory_xact_lock`): held until COMMIT, so an HTTP
// call after it, in the transaction, keeps every caller taking the same lock waiting. Taken by the transaction's own
// code, or by a project wrapper that takes it and then runs the callback in that transaction (the callback's code is
// under it). The same call before the wrapper is called, or in a wrapper's callback that takes no lock, is not.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

const HEADER = `import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
function withDeviceLock<T>(deviceId: string, fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${deviceId}))\`;
    return fn(tx);
  });
}
function inTransaction<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  return prisma.$transaction((tx) => fn(tx));
}
`;

const HTTP = "makes an HTTP request, as slow as the remote service";

/** The finding at the awaited `fetch` on `line`, in the transaction on `tx` holding the advisory lock `lock`. */
const fetchUnder = (line: number, lock: string) => ({
  line,
  column: 19,
  messageId: "inAdvisoryLockedTransaction",
  data: { call: "`fetch`", reason: HTTP, transaction: "the transaction on `tx`", lock },
});

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "the firmware is fetched before the wrapper takes the lock",
      code: `${HEADER}
export async function flash(deviceId: string) {
  const image = await fetch("https://firmware.example/" + deviceId);
  await withDeviceLock(deviceId, async (tx) => {
    await tx.device.update({ where: { id: deviceId }, data: { image: await image.text() } });
  });
}`,
    },
    {
      name: "a wrapper that takes no advisory lock: the transaction holds nothing yet",
      code: `${HEADER}
export async function flash(deviceId: string) {
  await inTransaction(async (tx) => {
    const image = await fetch("https://firmware.example/" + deviceId);
    await tx.device.update({ where: { id: deviceId }, data: { image: await image.text() } });
  });
}`,
    },
  ],
  invalid: [
    {
      name: "the firmware is fetched inside the callback the wrapper runs under the lock",
      code: `${HEADER}
export async function flash(deviceId: string) {
  await withDeviceLock(deviceId, async (tx) => {
    const image = await fetch("https://firmware.example/" + deviceId);
    await tx.device.update({ where: { id: deviceId }, data: { image: await image.text() } });
  });
}`,
      errors: [fetchUnder(15, "the PostgreSQL advisory lock (`pg_advisory_xact_lock`) `withDeviceLock` takes at line 14")],
    },
    {
      name: "the transaction takes the lock itself, then fetches",
      code: `${HEADER}
export async function flash(deviceId: string) {
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw\`SELECT pg_advisory_xact_lock(hashtext(\${deviceId}))\`;
    const image = await fetch("https://firmware.example/" + deviceId);
    await tx.device.update({ where: { id: deviceId }, data: { image: await image.text() } });
  });
}`,
      errors: [fetchUnder(16, "the PostgreSQL advisory lock (`pg_advisory_xact_lock`) taken at line 15")],
    },
  ],
});
