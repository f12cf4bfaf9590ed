import mongoose, { Schema } from "mongoose";
interface OrgDoc {
  _id: string;
  seatCap: number;
  members: { userId: string; role: string }[];
  invites: { email: string; role: string; key: string }[];
}
const Organization = mongoose.model<OrgDoc>(
  "Organization",
  new Schema<OrgDoc>({
    _id: String,
    seatCap: Number,
    members: [{ userId: String, role: String }],
    invites: [{ email: String, role: String, key: String }],
  }),
);
// Inviting a user loads the organization, refuses when members plus pending invites already fill the seat cap, and
// pushes the invite. Two invitations sent at once both load the organization with one seat free, both pass, and both
// pushes land: the organization holds more invitations than seats.
export async function inviteUser(orgId: string, email: string, role: string, key: string) {
  const org = await Organization.findById(orgId);
  if (!org) throw new Error("organization not found");
  if (org.members.length + org.invites.length >= org.seatCap) throw new Error("seat limit reached");
  await Organization.updateOne({ _id: orgId }, { $push: { invites: { email, role, key } } });
}
// Correct: the seat test is the update's own filter, and an update that matched nothing is answered as a full org.
export async function inviteUserGuarded(orgId: string, email: string, role: string, key: string) {
  const result = await Organization.updateOne(
    { _id: orgId, $expr: { $lt: [{ $add: [{ $size: "$members" }, { $size: "$invites" }] }, "$seatCap"] } },
    { $push: { invites: { email, role, key } } },
  );
  if (result.matchedCount === 0) throw new Error("seat limit reached");
}
