import mongoose, { Schema } from "mongoose";
const Sequence = mongoose.model("Sequence", new Schema({ scope: String, field: String, value: { type: Number, default: 0 } }));
const Claim = mongoose.model("Claim", new Schema({ title: String, reference: String }));
// A numbering plugin takes the next reference from a counter document: it loads the counter, raises its value in
// memory and saves it. Two claims filed together load the same value, both save value + 1, and both get one reference.
async function nextReference(scope: string, field: string) {
  let counter = await Sequence.findOne({ scope, field });
  if (!counter) counter = new Sequence({ scope, field, value: 0 });
  counter.value = (counter.value ?? 0) + 1;
  await counter.save();
  return `CLM-${counter.value}`;
}
export async function fileClaim(title: string) {
  const reference = await nextReference("Claim", "reference");
  return Claim.create({ title, reference });
}
// Correct: one findOneAndUpdate with $inc (and upsert) hands every caller its own value.
async function nextReferenceAtomic(scope: string, field: string) {
  const counter = await Sequence.findOneAndUpdate({ scope, field }, { $inc: { value: 1 } }, { new: true, upsert: true });
  return `CLM-${counter!.value}`;
}
export async function fileClaimAtomic(title: string) {
  const reference = await nextReferenceAtomic("Claim", "reference");
  return Claim.create({ title, reference });
}
