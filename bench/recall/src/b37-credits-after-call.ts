import { NextResponse } from "next/server";
import { db } from "@/lib/db";
import { auth } from "@/lib/auth";
export async function POST(req: Request) {
  const session = await auth();
  if (!session?.user) return NextResponse.json({ error: "unauthorized" }, { status: 401 });
  const user = await db.user.findUnique({ where: { id: session.user.id }, select: { renderCredits: true, banned: true } });
  if (!user || user.banned) return NextResponse.json({ error: "forbidden" }, { status: 403 });
  if (user.renderCredits <= 0) return NextResponse.json({ error: "no credits left" }, { status: 403 });
  const { prompt } = (await req.json()) as { prompt: string };
  const res = await fetch("https://render.example.com/v1/images", { method: "POST", body: JSON.stringify({ prompt }) });
  const image = (await res.json()) as { url: string };
  await db.user.update({ where: { id: session.user.id }, data: { renderCredits: { decrement: 1 } } });
  return NextResponse.json(image);
}
