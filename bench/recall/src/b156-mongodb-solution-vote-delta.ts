import { MongoClient, ObjectId } from "mongodb";
const client = new MongoClient(process.env.MONGO_URL!);
const marks = client.db("judge").collection<{ solutionId: ObjectId; uid: number; vote?: number }>("solution_marks");
const solutions = client.db("judge").collection<{ _id: ObjectId; vote: number }>("solutions");
// A vote reads the user's previous vote, stores the new one, and adds the difference to the solution's total: two
// up-votes from one user sent together both read no previous vote, and the total rises by two.
export async function castVote(solutionId: ObjectId, uid: number, value: 1 | -1) {
  const previous = await marks.findOne({ solutionId, uid });
  await marks.findOneAndUpdate({ solutionId, uid }, { $set: { vote: value } }, { upsert: true });
  const delta = previous?.vote ? value - previous.vote : value;
  const solution = await solutions.findOneAndUpdate({ _id: solutionId }, { $inc: { vote: delta } }, { returnDocument: "after" });
  return [solution, await marks.findOne({ solutionId, uid })];
}
// Correct: the mark's own write returns the vote it replaced, so each change is counted once, by the request that made it.
export async function castVoteSwapped(solutionId: ObjectId, uid: number, value: 1 | -1) {
  const before = await marks.findOneAndUpdate({ solutionId, uid }, { $set: { vote: value } }, { upsert: true, returnDocument: "before" });
  const delta = before?.vote ? value - before.vote : value;
  if (delta === 0) return solutions.findOne({ _id: solutionId });
  return solutions.findOneAndUpdate({ _id: solutionId }, { $inc: { vote: delta } }, { returnDocument: "after" });
}
