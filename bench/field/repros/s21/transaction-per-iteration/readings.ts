import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

// Each sensor's readings are replaced in a batch transaction of their own, committed before the next sensor's:
// no transaction ever holds two sensors' rows, so the order of sensorIds cannot deadlock.
export async function reloadReadings(sensorIds: string[], fetched: Map<string, { id: string; value: number }[]>) {
  for (const sensorId of sensorIds) {
    const rows = fetched.get(sensorId) ?? [];
    await prisma.$transaction([
      prisma.reading.deleteMany({ where: { sensorId } }),
      prisma.reading.createMany({ data: rows.map((r) => ({ ...r, sensorId })) }),
    ]);
  }
}

// The same statements in one transaction around the loop do hold every sensor's rows until it commits.
export async function reloadReadingsAtOnce(sensorIds: string[]) {
  await prisma.$transaction(async (tx) => {
    for (const sensorId of sensorIds) {
      await tx.reading.deleteMany({ where: { sensorId } });
    }
  });
}
