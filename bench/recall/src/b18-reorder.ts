import { NextResponse } from "next/server";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function POST(req: Request) {
  const { items } = (await req.json()) as { items: { id: string; position: number }[] };
  await prisma.$transaction(items.map((item) => prisma.link.update({ where: { id: item.id }, data: { position: item.position } })));
  return NextResponse.json({ ok: true });
}
