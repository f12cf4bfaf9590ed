import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
interface DeskRequest {
  deskId: string;
  userId: string;
  startsAt: Date;
  endsAt: Date;
}
// The desk's bookings that day are read and tested for an overlap in JavaScript, then the booking is created by a
// separate statement: two requests for one desk and hour both find it free and both book it.
export async function POST(req: Request) {
  const body = (await req.json()) as DeskRequest;
  const sameDay = await prisma.deskBooking.findMany({
    where: { deskId: body.deskId, status: { in: ["CONFIRMED", "PENDING"] }, startsAt: { lt: body.endsAt } },
  });
  const clash = sameDay.some((b) => b.startsAt < body.endsAt && b.endsAt > body.startsAt);
  if (clash) return Response.json({ error: "desk already booked" }, { status: 409 });
  const booking = await prisma.deskBooking.create({
    data: { deskId: body.deskId, userId: body.userId, startsAt: body.startsAt, endsAt: body.endsAt, status: "CONFIRMED" },
    include: { desk: true },
  });
  return Response.json(booking, { status: 201 });
}
