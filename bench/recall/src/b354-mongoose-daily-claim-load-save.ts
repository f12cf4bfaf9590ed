import mongoose, { Schema } from "mongoose";
const Member = mongoose.model(
  "EconomyMember",
  new Schema({
    guildId: String,
    userId: String,
    balance: { type: Number, default: 0 },
    claimStreak: { type: Number, default: 0 },
    lastClaimed: Date,
  }),
);
function startOfToday(): Date {
  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  return day;
}
// The daily /claim command loads the member, refuses when it already claimed today, adds the reward and one streak day
// in memory and saves. Two /claim invocations both pass the date test and both pay; and a level-up reward `$inc`ed into
// the balance between the load and the save is overwritten by the save's `$set` of the balance read before it.
export async function claimDaily(guildId: string, userId: string, reward: number) {
  const member = await Member.findOne({ guildId, userId });
  if (!member) throw new Error("not a member");
  if (member.lastClaimed && member.lastClaimed >= startOfToday()) return { claimed: false };
  member.balance = (member.balance ?? 0) + reward;
  member.claimStreak = (member.claimStreak ?? 0) + 1;
  member.lastClaimed = new Date();
  await member.save();
  return { claimed: true, balance: member.balance };
}
// Correct: one conditional update credits the reward with `$inc` only while the member has not claimed today.
export async function claimDailyAtomic(guildId: string, userId: string, reward: number) {
  const member = await Member.findOneAndUpdate(
    { guildId, userId, lastClaimed: { $not: { $gte: startOfToday() } } },
    { $inc: { balance: reward, claimStreak: 1 }, $set: { lastClaimed: new Date() } },
    { new: true },
  );
  if (!member) return { claimed: false };
  return { claimed: true, balance: member.balance };
}
