// Seat holds moved through a project helper that is a compare-and-set: its UPDATE pins the version of the row it is
// passed and bumps it, and it throws when no row matched, so a concurrent move makes this one fail instead of being lost.
import { Prisma, PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
type Seat = { id: string; state: string; heldBy: string | null; version: number };
class SeatConflict extends Error {}
declare function nextState(state: string, action: string): string;

export class SeatService {
  private async findSeat(tx: Prisma.TransactionClient, id: string) {
    return tx.seat.findFirst({ where: { id } });
  }

  private async moveSeat(tx: Prisma.TransactionClient, seat: Seat, patch: { state: string; heldBy?: string | null }): Promise<Seat> {
    const heldBy = "heldBy" in patch ? patch.heldBy : seat.heldBy;
    const rows = await tx.$queryRaw<Seat[]>`
      UPDATE "Seat" SET "state" = ${patch.state}::"SeatState", "heldBy" = ${heldBy}, "version" = "version" + 1
       WHERE "id" = ${seat.id} AND "version" = ${seat.version}
       RETURNING *`;
    if (rows.length === 0) throw new SeatConflict();
    return rows[0]!;
  }

  async hold(seatId: string, guest: string) {
    return prisma.$transaction(async (tx) => {
      const seat = await this.findSeat(tx, seatId);
      if (!seat) throw new Error("no such seat");
      const state = nextState(seat.state, "HOLD");
      return this.moveSeat(tx, seat, { state, heldBy: guest });
    });
  }
}
