import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function bookMentorSession(studentId: number, mentorId: number, startsAt: Date) {
  const clash = await prisma.mentorSession.findFirst({ where: { mentorId, startsAt, status: { in: ["PENDING_PAYMENT", "SCHEDULED"] } } });
  if (clash) throw new Error("This slot is already booked");
  return prisma.mentorSession.create({ data: { studentId, mentorId, startsAt, status: "PENDING_PAYMENT" } });
}
