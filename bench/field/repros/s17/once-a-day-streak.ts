// FALSE shape (select-then-update), session 17 held-out check, daily-api src/workers/newView.ts:165.
// Rule that would make it silent: an increment that runs only when the row was last counted on another day (a reading
// streak) writes, for every concurrent event of the same day, the same values computed from the same read: the lost
// update is the intended "once a day", and the result equals the serial one.
import { Column, Entity, EntityManager, PrimaryColumn } from "typeorm";

@Entity()
export class MemberStreak {
  @PrimaryColumn({ type: "text" })
  memberId: string;
  @Column({ type: "timestamptz", nullable: true })
  lastSeenAt: Date | null;
  @Column({ default: 0 })
  current: number;
  @Column({ default: 0 })
  total: number;
  @Column({ default: 0 })
  best: number;
}

interface StreakRow {
  current: number;
  total: number;
  best: number;
  countToday: boolean;
}

const readStreak = async (manager: EntityManager, memberId: string, seenAt: Date): Promise<StreakRow | undefined> => {
  return await manager
    .createQueryBuilder()
    .select(`("lastSeenAt" IS NULL OR DATE("lastSeenAt") <> DATE(:seenAt))`, "countToday")
    .addSelect('s."current"', "current")
    .addSelect('s."total"', "total")
    .addSelect('s."best"', "best")
    .from(MemberStreak, "s")
    .where('s."memberId" = :memberId', { memberId })
    .setParameter("seenAt", seenAt)
    .getRawOne<StreakRow>();
};

export const bumpStreak = async (manager: EntityManager, memberId: string, seenAt: Date): Promise<boolean> => {
  const row = await readStreak(manager, memberId, seenAt);
  if (!row) {
    return false;
  }
  const { current, total, best, countToday } = row;
  if (countToday) {
    const next = current + 1;
    await manager
      .getRepository(MemberStreak)
      .update({ memberId }, { lastSeenAt: seenAt, current: next, total: total + 1, best: Math.max(next, best) });
  }
  return true;
};
