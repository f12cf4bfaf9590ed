import mongoose, { Schema, model } from "mongoose";
const PracticeSession = model("PracticeSession", new Schema({ owner: { type: String, index: true }, topic: String }));
const SessionQuota = model("SessionQuota", new Schema({ _id: String, used: Number }));
const MAX_PRACTICE_SESSIONS = 20;
// The cap is counted and the session inserted inside one MongoDB transaction, but the count only reads: two requests
// both count 19 in their snapshots, both insert (different documents never conflict) and the user has 21 sessions.
export async function startPracticeSession(owner: string, topic: string) {
  const session = await mongoose.startSession();
  try {
    return await session.withTransaction(async () => {
      const open = await PracticeSession.countDocuments({ owner }).session(session);
      if (open >= MAX_PRACTICE_SESSIONS) throw new Error("SESSION_LIMIT_REACHED");
      const [created] = await PracticeSession.create([{ owner, topic }], { session });
      return created;
    });
  } finally {
    await session.endSession();
  }
}
// Correct: a per-user counter document is raised with a guarded `$inc` in the transaction; two transactions both
// writing it conflict, and the retry sees the counter at the cap.
export async function startPracticeSessionCounted(owner: string, topic: string) {
  const session = await mongoose.startSession();
  try {
    return await session.withTransaction(async () => {
      const slot = await SessionQuota.findOneAndUpdate(
        { _id: owner, used: { $lt: MAX_PRACTICE_SESSIONS } },
        { $inc: { used: 1 } },
        { new: true, session },
      );
      if (!slot) throw new Error("SESSION_LIMIT_REACHED");
      const [created] = await PracticeSession.create([{ owner, topic }], { session });
      return created;
    });
  } finally {
    await session.endSession();
  }
}
