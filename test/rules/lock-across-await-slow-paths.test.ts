import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

/** A helper that runs a command on a host inside `new Promise`; `pauseLine` is its line before the command runs. */
const hostRunner = (pauseLine: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
declare function openShell(host: string): { run(cmd: string, done: (code: number) => void): void };
const runOnHost = (host: string, cmd: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const shell = openShell(host);
    ${pauseLine}
    shell.run(cmd, (code) => (code === 0 ? resolve() : reject(new Error(String(code)))));
  });
export async function rotateSecret(instanceId: string, secret: string) {
  await prisma.$transaction(async (tx) => {
    const instance = await tx.instance.update({ where: { id: instanceId }, data: { secret } });
    await runOnHost(instance.host, \`set-secret \${secret}\`);
  });
}`;

/**
 * A mutex section whose awaited helper reaches `fetch` through `depth` project functions (`quote1` … `quoteN`): slow
 * paths are summarised on the core's fixpoint, so any depth counts, as does a helper reached through recursion.
 */
const deepQuote = (depth: number) => `import { Mutex } from "async-mutex";
declare const orders: { load(id: string): Promise<{ total: number }>; save(id: string, total: number): Promise<void> };
const lock = new Mutex();
${Array.from({ length: depth }, (_, i) =>
  i === depth - 1
    ? `async function quote${i + 1}(id: string) {\n  return fetch(\`https://rates.example/\${id}\`);\n}`
    : `async function quote${i + 1}(id: string) {\n  return quote${i + 2}(id);\n}`,
).join("\n")}
export async function reprice(id: string) {
  await lock.runExclusive(async () => {
    const order = await orders.load(id);
    await quote1(id);
    await orders.save(id, order.total);
  });
}
`;

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      // A promise dropped inside the executor (`pause(500);`) does not delay the promise the executor settles.
      name: "a stray un-awaited pause inside a Promise executor does not make the helper sleep",
      code: hostRunner("pause(500);"),
    },
  ],
  invalid: [
    {
      name: "an HTTP request seven project calls down, awaited under a mutex between a read and its write-back",
      code: deepQuote(7),
      errors: [{ line: 28, column: 5, messageId: "underMutex" }],
    },
    {
      // The twin: the executor hands its resolve to the timer, so the promise settles only when it fires.
      name: "a pause the executor waits for (its resolve handed to the timer) makes the helper sleep",
      code: hostRunner("setTimeout(resolve, 500);"),
      errors: [
        {
          line: 14,
          column: 5,
          messageId: "inLockingTransaction",
          message:
            "`runOnHost` calls `setTimeout`, which sleeps, and it is awaited while the transaction on `tx` holds row locks (taken by a write of `instance` at line 13) until COMMIT/ROLLBACK: a transaction that writes or locks those rows waits for as long as the call takes, and the connection stays checked out of the pool meanwhile.",
        },
      ],
    },
  ],
});
