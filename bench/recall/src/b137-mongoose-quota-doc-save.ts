import { Schema, model } from "mongoose";
const UsageQuotaSchema = new Schema({
  key: { type: String, required: true },
  organizationId: { type: String, required: true },
  limit: { type: Number, required: true },
  count: { type: Number, default: 0 },
  lastReset: { type: Date },
});
const UsageQuota = model("UsageQuota", UsageQuotaSchema);
// The quota document is loaded, its count raised in memory, and the whole document set and saved back: two passports
// created together both load count 9 of 10, both pass, and both save 10.
export async function consumeQuota(organizationId: string, key: string) {
  const quotaDoc = await UsageQuota.findOne({ organizationId, key });
  if (!quotaDoc) throw new Error("no quota configured");
  if (quotaDoc.count >= quotaDoc.limit) throw new Error("quota exceeded");
  const next = quotaDoc.count + 1;
  quotaDoc.set({ key, organizationId, limit: quotaDoc.limit, count: next, lastReset: quotaDoc.lastReset });
  return quotaDoc.save();
}
// Correct: one update raises the count only while it is below the limit.
export async function consumeQuotaAtomically(organizationId: string, key: string) {
  const updated = await UsageQuota.findOneAndUpdate(
    { organizationId, key, $expr: { $lt: ["$count", "$limit"] } },
    { $inc: { count: 1 } },
    { new: true },
  );
  if (!updated) throw new Error("quota exceeded");
  return updated;
}
