import { PrismaClient } from "@prisma/client";
// Availability is checked with a plain read, and the booking is created afterwards in its own transaction: two
// attendees for the organizer's same slot both pass the check and both get a confirmed booking.
export class BookingService {
  constructor(private readonly prisma: PrismaClient) {}
  async book(organizerId: number, startTime: Date, endTime: Date, attendeeEmail: string) {
    const overlapping = await this.prisma.appointment.findFirst({
      where: { organizerId, status: "ACCEPTED", startTime: { lt: endTime }, endTime: { gt: startTime } },
    });
    if (overlapping) throw new Error("organizer is not available");
    return this.prisma.$transaction(async (tx) => {
      const appointment = await tx.appointment.create({ data: { organizerId, startTime, endTime, attendeeEmail, status: "ACCEPTED" } });
      await tx.appointmentReference.create({ data: { appointmentId: appointment.id, kind: "video" } });
      return appointment;
    });
  }
}
