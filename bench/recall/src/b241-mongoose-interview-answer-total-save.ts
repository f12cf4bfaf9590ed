import mongoose, { Schema } from "mongoose";
const Interview = mongoose.model(
  "Interview",
  new Schema({
    token: { type: String, unique: true },
    answers: [{ questionId: String, text: String, points: Number }],
    totalPoints: { type: Number, default: 0 },
  }),
);
declare function scoreAnswer(questionId: string, text: string): Promise<number>;
// Each answer loads the interview, scores the answer (a model call), pushes it and adds its points to the loaded total,
// then saves. Two answers sent together both load the same total; the later save writes its total over the earlier
// one and the first answer's points are lost.
export async function recordAnswer(token: string, questionId: string, text: string) {
  const interview = await Interview.findOne({ token });
  if (!interview) throw new Error("unknown interview");
  const points = await scoreAnswer(questionId, text);
  interview.answers.push({ questionId, text, points });
  interview.totalPoints = interview.totalPoints + points;
  await interview.save();
}
// Correct: one updateOne pushes the answer and $incs the total.
export async function recordAnswerAtomic(token: string, questionId: string, text: string) {
  const points = await scoreAnswer(questionId, text);
  const result = await Interview.updateOne(
    { token },
    { $push: { answers: { questionId, text, points } }, $inc: { totalPoints: points } },
  );
  if (result.matchedCount === 0) throw new Error("unknown interview");
}
