// Session 23's held-out check (issue #15): a task run under a lock that starts work taking the same lock without
// waiting for it (`this.kick();` whose body drops `this.sync().catch(log)`) does not hang: the task goes on, releases,
// and the dropped work acquires after it (gitpod's cluster service). The same call awaited still hangs.
import { reentrantLock } from "../../rules/reentrant-lock";
import { runRuleTests } from "../helpers/rule-tester";

const HANGS = "the lock is not reentrant, so the second acquisition waits for the first, which is never released: this hangs forever";

const registry = (kick: string) => `import { Mutex } from "async-mutex";
declare function saveNode(name: string): Promise<void>;
declare function log(error: unknown): void;
export class NodeRegistry {
  private readonly guard = new Mutex();
  async join(name: string) {
    await this.guard.runExclusive(async () => {
      await saveNode(name);
      ${kick}
    });
  }
  private kick() {
    this.rebalance().catch((error) => log(error));
  }
  async rebalance() {
    await this.guard.runExclusive(async () => {
      await saveNode("*");
    });
  }
}`;

runRuleTests(reentrantLock, {
  valid: [
    {
      name: "the same mutex reached through a helper that drops the promise (`.catch(log)` as a statement)",
      code: registry("this.kick();"),
    },
    {
      name: "the same mutex reached through a call whose promise is dropped with void",
      code: registry("void this.rebalance();"),
    },
    {
      name: "a serial task queue whose task starts a refresh on another queue without awaiting it",
      files: {
        "src/serial.ts": `export class SerialRunner {
  private pending: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const turn = this.pending.then(() => job());
    this.pending = turn.then(
      () => "done",
      () => "failed",
    );
    return turn;
  }
}`,
      },
      code: `import { SerialRunner } from "./serial";
declare function writeRoute(id: string): Promise<void>;
declare function readRoutes(): Promise<string[]>;
declare function warn(error: unknown): void;
export class Routes {
  private readonly runner = new SerialRunner();
  constructor(private readonly table: RouteTable) {}
  add(id: string) {
    return this.runner.run(async () => {
      await writeRoute(id);
      this.refreshSoon();
    });
  }
  private refreshSoon() {
    this.table.refresh().catch(warn);
  }
}
export class RouteTable {
  private readonly runner = new SerialRunner();
  refresh() {
    return this.runner.run(async () => {
      await readRoutes();
    });
  }
}`,
    },
  ],
  invalid: [
    {
      name: "the same mutex reached through an awaited call still hangs",
      code: registry("await this.rebalance();"),
      errors: [
        {
          line: 9,
          column: 13,
          messageId: "reacquiredThroughCalls",
          data: {
            holder: "`NodeRegistry.join`",
            lock: "`NodeRegistry.guard`",
            calls: "`NodeRegistry.rebalance`",
            consequence: HANGS,
          },
        },
      ],
    },
    {
      name: "a promise kept and awaited later is waited for",
      code: registry("const pending = this.rebalance();\n      await pending;"),
      errors: [{ line: 9, column: 23, messageId: "reacquiredThroughCalls" }],
    },
  ],
});
