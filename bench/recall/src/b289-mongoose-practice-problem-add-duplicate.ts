import mongoose, { Schema } from "mongoose";
const PracticeProblem = mongoose.model(
  "PracticeProblem",
  new Schema({ judge: String, problemCode: String, title: String, addedBy: String }),
);
// Adding a problem to the practice list looks it up by judge and problem code and creates it when it is not there. A
// double click on "Add" sends two requests that both find nothing: the problem is listed twice (no unique index over
// the pair).
export async function addPracticeProblem(judge: string, problemCode: string, title: string, addedBy: string) {
  const existing = await PracticeProblem.findOne({ judge, problemCode });
  if (existing) return existing;
  return PracticeProblem.create({ judge, problemCode, title, addedBy });
}
const uniqueSchema = new Schema({ judge: String, problemCode: String, title: String, addedBy: String });
uniqueSchema.index({ judge: 1, problemCode: 1 }, { unique: true });
const ListedProblem = mongoose.model("ListedProblem", uniqueSchema);
// Correct: one upsert finds or creates the problem, and a unique index over the pair keeps concurrent upserts to one
// document.
export async function addListedProblem(judge: string, problemCode: string, title: string, addedBy: string) {
  return ListedProblem.findOneAndUpdate({ judge, problemCode }, { $setOnInsert: { title, addedBy } }, { upsert: true, new: true });
}
