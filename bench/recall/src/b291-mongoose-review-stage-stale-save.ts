import { Schema, model } from "mongoose";
interface Manuscript {
  title: string;
  stage: "submitted" | "in_review" | "withdrawn";
  reviewerId?: string;
}
const ManuscriptModel = model<Manuscript>(
  "Manuscript",
  new Schema<Manuscript>({ title: String, stage: { type: String, required: true }, reviewerId: String }),
);
// The author withdraws a manuscript with one atomic update.
export async function withdrawManuscript(id: string) {
  await ManuscriptModel.updateOne({ _id: id }, { $set: { stage: "withdrawn" } });
}
// Assigning a reviewer loads the manuscript, checks that it is still submitted, and saves it in review. A withdrawal
// that lands between the load and the save is overwritten: save() writes the stage the check saw as "submitted", so a
// withdrawn manuscript goes to a reviewer.
export async function assignReviewer(id: string, reviewerId: string) {
  const manuscript = await ManuscriptModel.findById(id);
  if (!manuscript) throw new Error("manuscript not found");
  if (manuscript.stage !== "submitted") throw new Error("manuscript is not awaiting review");
  manuscript.stage = "in_review";
  manuscript.reviewerId = reviewerId;
  await manuscript.save();
  return manuscript;
}
// Correct: the stage test is the update's filter, so a withdrawn manuscript matches nothing.
export async function assignReviewerGuarded(id: string, reviewerId: string) {
  const assigned = await ManuscriptModel.findOneAndUpdate(
    { _id: id, stage: "submitted" },
    { $set: { stage: "in_review", reviewerId } },
    { new: true },
  );
  if (!assigned) throw new Error("manuscript is not awaiting review");
  return assigned;
}
