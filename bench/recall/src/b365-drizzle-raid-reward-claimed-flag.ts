import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/planetscale-serverless";
import { boolean, int, mysqlTable, varchar } from "drizzle-orm/mysql-core";
const raidParticipants = mysqlTable("raid_participant", {
  id: varchar("id", { length: 191 }).primaryKey(),
  raidId: varchar("raid_id", { length: 191 }).notNull(),
  userId: varchar("user_id", { length: 191 }).notNull(),
  rewardsClaimed: boolean("rewards_claimed").notNull().default(false),
});
const userData = mysqlTable("user_data", {
  userId: varchar("user_id", { length: 191 }).primaryKey(),
  earnedExperience: int("earned_experience").notNull().default(0),
  reputationPoints: int("reputation_points").notNull().default(0),
});
const db = drizzle({ connection: { url: process.env.DATABASE_URL! }, schema: { raidParticipants, userData } });
type RaidRewards = { exp: number; reputation: number };
declare function rewardsFor(raidId: string): Promise<RaidRewards>;
// Claiming a raid's rewards loads the participant row, refuses when its rewards are already claimed, then marks it
// claimed and raises the user's experience and reputation in the same batch. Two clicks both load the unclaimed row,
// both pass, and both grant the rewards; the increments are atomic, but the claim they depend on is not.
export async function claimRaidRewards(userId: string, raidId: string) {
  const participant = await db.query.raidParticipants.findFirst({
    where: and(eq(raidParticipants.raidId, raidId), eq(raidParticipants.userId, userId)),
  });
  if (!participant) throw new Error("not in this raid");
  if (participant.rewardsClaimed) throw new Error("rewards already claimed");
  const rewards = await rewardsFor(raidId);
  await Promise.all([
    db.update(raidParticipants).set({ rewardsClaimed: true }).where(eq(raidParticipants.id, participant.id)),
    db
      .update(userData)
      .set({
        earnedExperience: sql`${userData.earnedExperience} + ${rewards.exp}`,
        reputationPoints: sql`${userData.reputationPoints} + ${rewards.reputation}`,
      })
      .where(eq(userData.userId, userId)),
  ]);
  return rewards;
}
// Correct: the claim is a conditional update on the unclaimed flag, and only the caller whose update matched grants.
export async function claimRaidRewardsOnce(userId: string, raidId: string) {
  const claim = await db
    .update(raidParticipants)
    .set({ rewardsClaimed: true })
    .where(
      and(eq(raidParticipants.raidId, raidId), eq(raidParticipants.userId, userId), eq(raidParticipants.rewardsClaimed, false)),
    );
  if (claim.rowsAffected === 0) throw new Error("rewards already claimed");
  const rewards = await rewardsFor(raidId);
  await db
    .update(userData)
    .set({
      earnedExperience: sql`${userData.earnedExperience} + ${rewards.exp}`,
      reputationPoints: sql`${userData.reputationPoints} + ${rewards.reputation}`,
    })
    .where(eq(userData.userId, userId));
  return rewards;
}
