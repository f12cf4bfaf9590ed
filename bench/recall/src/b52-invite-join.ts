import { NextResponse } from "next/server";
import { eq, sql } from "drizzle-orm";
import { db } from "@/lib/db";
import { classInvites, classMembers } from "@/lib/db/schema";
import { currentUser } from "@/lib/auth";
export async function POST(_req: Request, { params }: { params: { code: string } }) {
  const user = await currentUser();
  if (!user) return NextResponse.json({ error: "unauthorized" }, { status: 401 });
  const [invite] = await db.select().from(classInvites).where(eq(classInvites.code, params.code));
  if (!invite || (invite.expiresAt && invite.expiresAt < new Date()))
    return NextResponse.json({ error: "invalid invite" }, { status: 404 });
  if (invite.maxUses !== null && invite.useCount >= invite.maxUses)
    return NextResponse.json({ error: "invite exhausted" }, { status: 410 });
  await db.insert(classMembers).values({ classId: invite.classId, userId: user.id, role: "student" });
  await db
    .update(classInvites)
    .set({ useCount: sql`${classInvites.useCount} + 1` })
    .where(eq(classInvites.id, invite.id));
  return NextResponse.json({ classId: invite.classId });
}
