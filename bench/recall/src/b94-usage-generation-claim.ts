import { Injectable } from "@nestjs/common";
import { PrismaClient } from "@prisma/client";
// No row yet for the subject: both concurrent saves find none, both create a row with the first generation and both
// claim it, so two revisions of the document reconcile at once.
@Injectable()
export class UsageGenerations {
  constructor(private readonly prisma: PrismaClient) {}
  async claim(collection: string, subjectId: string) {
    const rows = await this.prisma.usageGeneration.findMany({ where: { collection, subjectId } });
    if (rows.length === 0) {
      await this.prisma.usageGeneration.create({ data: { collection, subjectId, generation: 1 } });
      return { claimed: true, generation: 1 };
    }
    const next = rows[0].generation + 1;
    const { count } = await this.prisma.usageGeneration.updateMany({
      where: { id: rows[0].id, generation: rows[0].generation },
      data: { generation: next },
    });
    return { claimed: count === 1, generation: next };
  }
}
