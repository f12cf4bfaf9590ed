import { eq } from "drizzle-orm";
import { db } from "../db";
import { profiles, rewardEvents } from "../db/schema";
const DAY = 24 * 60 * 60 * 1000;
export async function claimDailyReward(profileId: string, now = new Date()) {
  return db.transaction(async (tx) => {
    const [profile] = await tx.select().from(profiles).where(eq(profiles.id, profileId));
    if (!profile) throw new Error("profile not found");
    if (profile.lastRewardAt && now.getTime() - profile.lastRewardAt.getTime() < DAY) return { claimed: false };
    const streak = profile.lastRewardAt && now.getTime() - profile.lastRewardAt.getTime() < 2 * DAY ? profile.streak + 1 : 1;
    const reward = 10 * Math.min(streak, 7);
    const before = Number(profile.points);
    await tx
      .update(profiles)
      .set({ streak, lastRewardAt: now, points: String(before + reward) })
      .where(eq(profiles.id, profileId));
    await tx.insert(rewardEvents).values({ profileId, amount: reward, pointsBefore: before, pointsAfter: before + reward });
    return { claimed: true, reward };
  });
}
