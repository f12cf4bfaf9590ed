import { Schema, model } from "mongoose";
// No unique index over the provider id.
const Member = model("Member", new Schema({ providerId: String, profile: Object, joinedAt: Date }));
interface ProviderProfile {
  id: string;
  [field: string]: unknown;
}
// The member is looked up by the provider id and saved as new when none is found: two sign-ins arriving at two
// instances at once both find none and both save, leaving two members for one account.
export const memberDirectory = {
  async findOrCreate(profile: ProviderProfile) {
    const member = await Member.findOne({ providerId: profile.id });
    if (!member) {
      const fresh = new Member({ providerId: profile.id, profile, joinedAt: new Date() });
      await fresh.save();
      return fresh;
    }
    return member;
  },
};
