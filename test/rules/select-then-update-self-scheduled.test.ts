import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

// A refresh pass started once and then only by the timer it sets after the pass never overlaps itself: its reads and
// writes of the rows it refreshes are not raced by a second pass. Called from anywhere else, or rescheduled before its
// work is done, two passes can run at once and the finding stays.
const variables = `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function evaluate(script: string, current: string): Promise<string>;
declare let connected: boolean;
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a singleton's refresh loop: started by the constructor, rescheduled by a timer after each pass",
      code: `${variables}class Variables {
  private timer?: NodeJS.Timeout;
  constructor() {
    this.refresh();
  }
  async refresh() {
    if (!connected) {
      setTimeout(() => this.refresh(), 1000);
      return;
    }
    const items = await prisma.variable.findMany({ where: { kind: "eval" } });
    for (const item of items) {
      if (Date.now() - item.ranAt.getTime() >= item.everyMs) {
        const value = await evaluate(item.script, item.value);
        await prisma.variable.update({ where: { id: item.id }, data: { value, ranAt: new Date(), runs: item.runs + 1 } });
      }
    }
    this.timer = setTimeout(() => this.refresh(), 1000);
  }
}
export default new Variables();`,
    },
    {
      name: "a module's loop started once at the top level and rescheduled at the end of its pass",
      code: `${variables}async function refreshAll(): Promise<void> {
  const items = await prisma.variable.findMany({ where: { kind: "eval" } });
  for (const item of items) {
    const value = await evaluate(item.script, item.value);
    await prisma.variable.update({ where: { id: item.id }, data: { value, runs: item.runs + 1 } });
  }
  setTimeout(() => void refreshAll(), 1000);
}
void refreshAll();`,
    },
    {
      name: "a service's loop started by its start-up hook",
      code: `${variables}declare function onStartup(): MethodDecorator;
class Variables {
  @onStartup()
  start() {
    this.refresh();
  }
  async refresh() {
    const items = await prisma.variable.findMany({ where: { kind: "eval" } });
    for (const item of items) {
      const value = await evaluate(item.script, item.value);
      await prisma.variable.update({ where: { id: item.id }, data: { value, runs: item.runs + 1 } });
    }
    setTimeout(() => this.refresh(), 1000);
  }
}
export default new Variables();`,
    },
  ],
  invalid: [
    {
      name: "the refresh loop of a class made twice: each instance runs its own passes over the same rows",
      code: `${variables}class Variables {
  constructor() {
    this.refresh();
  }
  async refresh() {
    const items = await prisma.variable.findMany({ where: { kind: "eval" } });
    for (const item of items) {
      const value = await evaluate(item.script, item.value);
      await prisma.variable.update({ where: { id: item.id }, data: { value, runs: item.runs + 1 } });
    }
    setTimeout(() => this.refresh(), 1000);
  }
}
export const primary = new Variables();
export const replica = new Variables();`,
      errors: [{ line: 13, column: 13, messageId: "lostUpdate" }],
    },
    {
      name: "the same loop also run by a request handler: a request's pass can overlap the timer's",
      code: `${variables}async function refreshAll(): Promise<void> {
  const items = await prisma.variable.findMany({ where: { kind: "eval" } });
  for (const item of items) {
    const value = await evaluate(item.script, item.value);
    await prisma.variable.update({ where: { id: item.id }, data: { value, runs: item.runs + 1 } });
  }
  setTimeout(() => void refreshAll(), 1000);
}
void refreshAll();
export async function onRefreshRequest(): Promise<void> {
  await refreshAll();
}`,
      errors: [{ line: 9, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a loop that sets its next timer before the pass: a slow pass overlaps the next",
      code: `${variables}async function refreshAll(): Promise<void> {
  setTimeout(() => void refreshAll(), 1000);
  const items = await prisma.variable.findMany({ where: { kind: "eval" } });
  for (const item of items) {
    const value = await evaluate(item.script, item.value);
    await prisma.variable.update({ where: { id: item.id }, data: { value, runs: item.runs + 1 } });
  }
}
void refreshAll();`,
      errors: [{ line: 10, column: 11, messageId: "lostUpdate" }],
    },
  ],
});
