// lock-across-await: a lease its taker keeps renewing. After its SET NX, the function starts a timer — itself or
// through a method of its class (`this.startHeartbeat(token)`) — whose callback extends the key while the work runs
// (a compare-and-expire script): the lease does not expire under a slow holder, and the losers of the try-lock leave,
// so nobody waits for the slow call either. The same lease without the heartbeat expires under the slow call.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { runRuleTests } from "../helpers/rule-tester";

const EXTEND = `"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"`;

const importer = (heartbeat: string) => `import Redis from "ioredis";
import { randomUUID } from "node:crypto";

const redis = new Redis();
const KEY = "catalog-import";

export class CatalogImporter {
  async run(): Promise<void> {
    const token = randomUUID();
    if ((await redis.set(KEY, token, "PX", 30_000, "NX")) !== "OK") return;
    ${heartbeat}
    try {
      await fetch("https://supplier.example.com/catalog.json");
    } finally {
      await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end", 1, KEY, token);
    }
  }

  private startHeartbeat(token: string) {
    return setInterval(() => {
      void this.refreshLease(token);
    }, 10_000);
  }

  private async refreshLease(token: string) {
    await redis.eval(${EXTEND}, 1, KEY, token, 30_000);
  }
}
`;

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a try-lease whose taker starts a heartbeat through a method of its class: it cannot expire under the slow call",
      code: importer("const heartbeat = this.startHeartbeat(token);"),
    },
    {
      name: "the heartbeat timer started inline, its callback refreshing through the class's method",
      code: importer("const heartbeat = setInterval(() => void this.refreshLease(token), 10_000);"),
    },
  ],
  invalid: [
    {
      name: "the same try-lease with no heartbeat: the slow call can outlast it",
      code: importer("const heartbeat = undefined;"),
      errors: [{ line: 13, column: 7, messageId: "underExpiringLease" }],
    },
  ],
});
