import { Schema, Types, model } from "mongoose";
const Tag = model("Tag", new Schema({ units: Number, prints: { type: Number, default: 0 } }));
const Station = model("Station", new Schema({ name: String, units: Number }));
const WorkOrder = model("WorkOrder", new Schema({ producedUnits: Number }));
// The station is read, its units raised in JavaScript and the whole document written back with $set: two batches
// printed at once for one station both read the same units and one batch is lost. The work order beside it is
// raised with $inc and stays right.
export async function recordPrintedBatch(tagIds: Types.ObjectId[], stationId: string, workOrderId: string) {
  const tags = await Tag.find({ _id: { $in: tagIds } });
  const produced = tags.reduce((sum, tag) => sum + (tag.units ?? 0), 0);
  const station = await Station.findOne({ _id: stationId });
  if (!station) throw new Error("station not found");
  station.units = (station.units ?? 0) + produced;
  await Station.updateOne({ _id: station._id }, { $set: station.toObject() });
  await WorkOrder.updateOne({ _id: workOrderId }, { $inc: { producedUnits: produced } });
  await Tag.updateMany({ _id: { $in: tagIds } }, { $inc: { prints: 1 } });
  return produced;
}
