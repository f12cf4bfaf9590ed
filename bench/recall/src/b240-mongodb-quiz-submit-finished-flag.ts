import { MongoClient, ObjectId } from "mongodb";
type Attempt = { _id: ObjectId; userId: string; answers: Record<string, string>; finished: boolean; score?: number };
const attempts = new MongoClient(process.env.MONGO_URL!).db("learn").collection<Attempt>("quiz_attempts");
declare function gradeAnswers(answers: Record<string, string>): number;
declare function awardXp(userId: string, amount: number): Promise<void>;
// Submitting an attempt reads it, refuses a finished one, grades it, marks it finished by its id alone and awards XP.
// Two submits (a retry, a second tab) both read finished: false, both mark it and both award the XP.
export async function submitAttempt(attemptId: string) {
  const attempt = await attempts.findOne({ _id: new ObjectId(attemptId) });
  if (!attempt) throw new Error("no such attempt");
  if (attempt.finished) throw new Error("already submitted");
  const score = gradeAnswers(attempt.answers);
  await attempts.updateOne({ _id: attempt._id }, { $set: { finished: true, score } });
  await awardXp(attempt.userId, score);
  return score;
}
// Correct: the update repeats the unfinished state in its filter and its matchedCount says which submit won.
export async function submitAttemptGuarded(attemptId: string) {
  const attempt = await attempts.findOne({ _id: new ObjectId(attemptId) });
  if (!attempt) throw new Error("no such attempt");
  if (attempt.finished) throw new Error("already submitted");
  const score = gradeAnswers(attempt.answers);
  const result = await attempts.updateOne({ _id: attempt._id, finished: false }, { $set: { finished: true, score } });
  if (result.matchedCount === 0) throw new Error("already submitted");
  await awardXp(attempt.userId, score);
  return score;
}
