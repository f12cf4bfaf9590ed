import mongoose, { Schema } from "mongoose";
const Application = mongoose.model(
  "HackathonApplication",
  new Schema({
    userId: { type: String, required: true, unique: true },
    score: { type: Number, default: 0 },
    referralCount: { type: Number, default: 0 },
  }),
);
const REFERRAL_BONUS = 25;
// A referral raises the referrer's application score: the application is loaded, the bonus added to the score it
// holds, and the document saved. A referral landing while the application is being graded (or two referrals landing
// together) each load the same score, and one of the writes is lost.
export async function applyReferralBonus(referrerUserId: string) {
  const application = await Application.findOne({ userId: referrerUserId });
  if (!application) return;
  application.score = application.score + REFERRAL_BONUS;
  application.referralCount = application.referralCount + 1;
  await application.save();
}
// Correct: the bonus is added by the database with $inc.
export async function applyReferralBonusAtomic(referrerUserId: string) {
  await Application.updateOne({ userId: referrerUserId }, { $inc: { score: REFERRAL_BONUS, referralCount: 1 } });
}
