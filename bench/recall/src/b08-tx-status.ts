import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function notifyDeactivated(u: { id: string }): Promise<void>;
export async function deactivate(userId: string) {
  const user = await prisma.$transaction(async (tx) => {
    const u = await tx.user.findUnique({ where: { id: userId } });
    if (!u || u.status !== "ACTIVE") throw new Error("not active");
    return tx.user.update({ where: { id: u.id }, data: { status: "DELETED" } });
  });
  await notifyDeactivated(user);
}
