// Session 23's held-out check (issue #15): a loop that answers a name clash (a ConflictError) by trying the next free
// name (`label = nextLabel(label)` in the catch) makes another request each turn, not the same contended one again, so
// it needs no backoff (twake-drive's upload under "name (1)", "name (2)", …). The same loop retrying the same name
// still collides again at once.
import { retryWithoutBackoff } from "../../rules/retry-without-backoff";
import { runRuleTests } from "../helpers/rule-tester";

const HEAD = `class ConflictError extends Error {}
declare function putObject(bucket: string, label: string, body: Uint8Array): Promise<{ id: string }>;
declare function nextLabel(label: string): string;
`;

const upload = (onClash: string) => `${HEAD}
export async function storeUnderFreeLabel(bucket: string, label: string, body: Uint8Array) {
  let candidate = label;
  for (let turn = 0; turn < 20; turn++) {
    try {
      return await putObject(bucket, candidate, body);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      ${onClash}
    }
  }
  throw new Error("no free label");
}
`;

runRuleTests(retryWithoutBackoff, {
  valid: [
    {
      name: "a clash answered by trying the next free name",
      code: upload("candidate = nextLabel(candidate);"),
    },
  ],
  invalid: [
    {
      name: "a clash answered by sending the same name again",
      code: upload('console.warn("clash on", candidate);'),
      errors: [{ line: 7, column: 3, messageId: "noDelay" }],
    },
  ],
});

// squid-sdk's TypeORM store: `retries` tested truthy on the retry branch and spent there bounds the loop, so the
// finding is the missing delay alone, not "no bound on attempts"; without the decrement it never gives up.
const submit = (spend: string) => `declare function runInTransaction<T>(work: () => Promise<T>): Promise<T>;
export async function submitBatch<T>(work: () => Promise<T>): Promise<T> {
  let retries = 3;
  while (true) {
    try {
      return await runInTransaction(work);
    } catch (e: any) {
      if (e.code == "40001" && retries) {
        ${spend}
      } else {
        throw e;
      }
    }
  }
}
`;

runRuleTests(retryWithoutBackoff, {
  valid: [],
  invalid: [
    {
      name: "a count of tries left, tested and spent on the retry branch: bounded, but no delay",
      code: submit("retries -= 1;"),
      errors: [{ line: 4, column: 3, messageId: "noDelay" }],
    },
    {
      name: "the count tested but never spent: unbounded",
      code: submit('console.warn("serialization failure, retrying");'),
      errors: [{ line: 4, column: 3, messageId: "noDelayUnbounded" }],
    },
  ],
});
