import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type OrderMap = Record<string, string[]>;
function parseOrderMap(raw: unknown): OrderMap {
  return raw && typeof raw === "object" ? { ...(raw as OrderMap) } : {};
}
// Every project's board order lives in one JSON column: the map is read, one project's entry replaced, and the whole
// map written back. Two tabs reordering two projects both read the old map, and the later write drops the other's.
export class BoardSettingsStore {
  constructor(private readonly userId: string) {}
  private async load() {
    return prisma.boardSettings.upsert({ where: { userId: this.userId }, update: {}, create: { userId: this.userId } });
  }
  async setBoardOrder(projectId: string, boardIds: string[]) {
    const settings = await this.load();
    const orderMap = parseOrderMap(settings.boardOrder);
    orderMap[projectId] = boardIds;
    return prisma.boardSettings.update({ where: { userId: this.userId }, data: { boardOrder: orderMap } });
  }
}
