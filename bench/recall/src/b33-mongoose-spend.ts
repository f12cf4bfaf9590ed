import { Schema, model } from "mongoose";
const Studio = model("Studio", new Schema({ cash: Number, intel: [String] }));
export async function hireInformant(studioId: string, target: string, cost: number) {
  const studio = await Studio.findById(studioId);
  if (!studio) throw new Error("no studio");
  if ((studio.cash ?? 0) < cost) throw new Error("insufficient funds");
  studio.cash = (studio.cash ?? 0) - cost;
  studio.intel.push(target);
  await studio.save();
}
// Correct twin: the balance test is in the filter of an atomic decrement.
export async function hireInformantAtomic(studioId: string, target: string, cost: number) {
  const updated = await Studio.findOneAndUpdate(
    { _id: studioId, cash: { $gte: cost } },
    { $inc: { cash: -cost }, $push: { intel: target } },
    { new: true },
  );
  if (!updated) throw new Error("insufficient funds");
}
