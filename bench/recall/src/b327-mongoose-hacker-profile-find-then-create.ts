import mongoose, { Schema } from "mongoose";
const HackerProfile = mongoose.model(
  "HackerProfile",
  new Schema({
    accountId: { type: Schema.Types.ObjectId, required: true },
    school: String,
    status: { type: String, default: "applied" },
  }),
);
// Applying as a hacker looks for a profile already tied to the account and refuses if one exists, then creates it.
// Nothing in the schema makes accountId unique: two submits of the application form both find nothing and the account
// ends up with two hacker profiles.
export async function createHackerProfile(accountId: string, school: string) {
  const existing = await HackerProfile.findOne({ accountId });
  if (existing) throw new Error("a hacker profile already exists for this account");
  return HackerProfile.create({ accountId, school });
}
