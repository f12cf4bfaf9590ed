import type { Request, Response } from "express";
import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Two removals (or a removal and an add) read the same array; the last write drops the other change.
export async function removeBookmark(req: Request, res: Response) {
  const memberId = (req as any).user.id as string;
  const listingId = Number(req.params.listingId);
  const member = await prisma.member.findUnique({ where: { id: memberId }, select: { bookmarkedListingIds: true } });
  if (!member) return res.status(404).json({ error: "member not found" });
  if (!member.bookmarkedListingIds.includes(listingId)) return res.status(404).json({ error: "not bookmarked" });
  await prisma.member.update({
    where: { id: memberId },
    data: { bookmarkedListingIds: member.bookmarkedListingIds.filter((id) => id !== listingId) },
  });
  return res.json({ removed: listingId });
}
