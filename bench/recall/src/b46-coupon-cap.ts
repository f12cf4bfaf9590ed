"use server";
import { prisma } from "@repo/db";
import { getSession } from "@/lib/session";
export async function redeemCoupon(code: string) {
  const session = await getSession();
  const orgId = session.organizationId;
  const coupon = await prisma.coupon.findFirst({ where: { code: { equals: code, mode: "insensitive" }, active: true } });
  if (!coupon) return { error: "Invalid code" };
  const used = await prisma.couponRedemption.count({ where: { couponId: coupon.id } });
  if (coupon.maxRedemptions !== null && used >= coupon.maxRedemptions) return { error: "Coupon fully redeemed" };
  await prisma.couponRedemption.create({ data: { couponId: coupon.id, organizationId: orgId, redeemedById: session.userId } });
  await prisma.organization.update({ where: { id: orgId }, data: { credits: { increment: coupon.credits } } });
  return { ok: true };
}
