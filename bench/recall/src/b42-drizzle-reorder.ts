import { NextResponse } from "next/server";
import { and, eq } from "drizzle-orm";
import { db } from "@/db";
import { taskItems } from "@/db/schema";
export async function PATCH(req: Request, { params }: { params: { listId: string } }) {
  const { order } = (await req.json()) as { order: { id: string; position: number }[] };
  await db.transaction(async (tx) => {
    for (const item of order) {
      await tx.update(taskItems).set({ position: item.position }).where(and(eq(taskItems.id, item.id), eq(taskItems.listId, params.listId)));
    }
  });
  return NextResponse.json({ ok: true });
}
