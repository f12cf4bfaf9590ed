import { Schema, model } from "mongoose";
const Passport = model("Passport", new Schema({ organizationId: { type: String, index: true }, templateId: String, identifier: String }));
const Organization = model("Organization", new Schema({ _id: String, passportLimit: Number, passportsIssued: Number }));
// Bulk import checks the organization's passport quota by counting its passports, then creates the next passport.
// Rows imported in parallel (or an import next to a manual create) all count under the quota and all create, so an
// organization on a capped plan ends up past its limit.
export async function createPassportForRow(organizationId: string, templateId: string, identifier: string) {
  const organization = await Organization.findById(organizationId);
  if (!organization) throw new Error("Organization not found");
  const issued = await Passport.countDocuments({ organizationId });
  if (issued >= (organization.passportLimit ?? 0)) throw new Error("Passport limit reached");
  return Passport.create({ organizationId, templateId, identifier });
}
// Correct: a slot is reserved on the organization document with a guarded `$inc` in one update; only a reservation
// that matched creates the passport.
export async function createPassportReserved(organizationId: string, templateId: string, identifier: string) {
  const reserved = await Organization.findOneAndUpdate(
    { _id: organizationId, $expr: { $lt: ["$passportsIssued", "$passportLimit"] } },
    { $inc: { passportsIssued: 1 } },
    { new: true },
  );
  if (!reserved) throw new Error("Passport limit reached");
  return Passport.create({ organizationId, templateId, identifier });
}
