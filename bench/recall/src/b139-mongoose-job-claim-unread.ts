import { Schema, model, type Types } from "mongoose";
const QueuedJob = model(
  "QueuedJob",
  new Schema({ queue: String, processing: { type: Boolean, default: false }, waitUntil: Date, input: Object }),
);
// The claim's update asks that each job still be free, but its result is never read: the jobs are then re-read by
// `processing: true`, which every worker wrote, so two workers polling together both run the same jobs.
export async function claimJobs(queue: string, limit: number) {
  const candidates = await QueuedJob.find({ queue, processing: false, waitUntil: { $lte: new Date() } })
    .limit(limit)
    .lean();
  const ids = candidates.map((job) => job._id as Types.ObjectId);
  await QueuedJob.updateMany({ _id: { $in: ids }, processing: false }, { $set: { processing: true } });
  return QueuedJob.find({ _id: { $in: ids }, processing: true }).lean();
}
