import { AsyncLocalStorage } from "node:async_hooks";
type Admission = { userId: string; grantId: string };
declare function admitRequest(authorization: string | undefined): Promise<Admission>;
declare function runTool(name: string, args: unknown, userId: string): Promise<unknown>;
declare function readBody(req: { body: unknown }): Promise<{ tool: string; args: unknown }>;
// One server object handles every HTTP request of a session. The admitted caller is stored on a field of that object
// and read back by the tool call after more awaits: when two callers post at once, the second overwrites the field
// before the first's tool runs, and the first request acts as the second user.
export class SessionServer {
  private admission?: Admission;
  async handle(req: { headers: { authorization?: string }; body: unknown }) {
    this.admission = await admitRequest(req.headers.authorization);
    const { tool, args } = await readBody(req);
    return this.callTool(tool, args);
  }
  private async callTool(tool: string, args: unknown) {
    if (!this.admission) throw new Error("Not admitted");
    return runTool(tool, args, this.admission.userId);
  }
}
// Correct: the admission is kept in request-scoped async context, so each request's tool call sees its own caller.
export class ScopedSessionServer {
  private readonly admissions = new AsyncLocalStorage<Admission>();
  async handle(req: { headers: { authorization?: string }; body: unknown }) {
    const admission = await admitRequest(req.headers.authorization);
    return this.admissions.run(admission, async () => {
      const { tool, args } = await readBody(req);
      return this.callTool(tool, args);
    });
  }
  private async callTool(tool: string, args: unknown) {
    const admission = this.admissions.getStore();
    if (!admission) throw new Error("Not admitted");
    return runTool(tool, args, admission.userId);
  }
}
