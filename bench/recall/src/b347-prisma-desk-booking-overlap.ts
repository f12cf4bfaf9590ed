import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// Booking a desk lists the confirmed bookings of that desk on that day, refuses when one overlaps the requested
// hours, and creates the booking. The check and the create are separate statements with no lock or constraint over
// the time range: two people booking the same desk for overlapping hours both find it free and both get it.
export async function bookDesk(userId: string, deskId: string, day: Date, startHour: number, endHour: number) {
  const sameDay = await prisma.deskBooking.findMany({ where: { deskId, day, status: "confirmed" } });
  const clash = sameDay.some((booking) => booking.startHour < endHour && startHour < booking.endHour);
  if (clash) throw new Error("desk already booked for those hours");
  return prisma.deskBooking.create({ data: { userId, deskId, day, startHour, endHour, status: "confirmed" } });
}
