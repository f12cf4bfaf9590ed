import { PrismaClient } from "@prisma/client";
// The per-session guard is tested, then a connection probe is awaited before the guard is taken: two writes for one
// session both find it free during the probe and both reach the database.
export class PrismaSessionCache {
  private readonly busy = new Map<string, boolean>();
  constructor(private readonly prisma: PrismaClient) {}
  private async connected(): Promise<boolean> {
    await this.prisma.$queryRaw`SELECT 1`;
    return true;
  }
  async put(sid: string, payload: string) {
    if (this.busy.get(sid)) return;
    if (!(await this.connected())) return;
    this.busy.set(sid, true);
    try {
      await this.prisma.webSession.upsert({ where: { sid }, create: { sid, payload }, update: { payload } });
    } finally {
      this.busy.delete(sid);
    }
  }
  // Correct: the guard is taken in the same synchronous step as its test.
  async putGuarded(sid: string, payload: string) {
    if (this.busy.get(sid)) return;
    this.busy.set(sid, true);
    try {
      if (!(await this.connected())) return;
      await this.prisma.webSession.upsert({ where: { sid }, create: { sid, payload }, update: { payload } });
    } finally {
      this.busy.delete(sid);
    }
  }
}
