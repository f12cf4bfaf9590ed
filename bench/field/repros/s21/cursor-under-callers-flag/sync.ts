import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

declare function fetchTransfers(from: number, to: number): Promise<{ id: string; block: number }[]>;
declare function latestBlock(): Promise<number>;

// Reads the checkpoint, applies the blocks after it, and moves the checkpoint on: called only by poll() below.
export async function syncTransfers() {
  const checkpoint = await prisma.checkpoint.findUnique({ where: { name: "transfers" } });
  const from = Number(checkpoint?.value ?? 0) + 1;
  const to = Math.min(from + 999, await latestBlock());
  const transfers = await fetchTransfers(from, to);
  await prisma.transfer.createMany({ data: transfers, skipDuplicates: true });
  await prisma.checkpoint.update({
    where: { name: "transfers" },
    data: { value: String(Number(checkpoint?.value ?? 0) + (to - from + 1)) },
  });
}
