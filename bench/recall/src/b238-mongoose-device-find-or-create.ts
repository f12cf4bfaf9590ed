import mongoose, { Schema } from "mongoose";
const Device = mongoose.model("Device", new Schema({ vendorId: String, serial: String, label: String }));
// A find-or-create helper looks the document up by its conditions and creates it when missing. Nothing in the schema
// makes (vendorId, serial) unique, so two requests registering the same device both create it.
export async function findOrRegisterDevice(vendorId: string, serial: string, label: string) {
  const found = await Device.findOne({ vendorId, serial });
  if (found) return { device: found, created: false };
  const device = await Device.create({ vendorId, serial, label });
  return { device, created: true };
}
// Correct: a unique index on the pair and one upsert; the index makes a second concurrent insert impossible.
const uniqueDeviceSchema = new Schema({ vendorId: String, serial: String, label: String });
uniqueDeviceSchema.index({ vendorId: 1, serial: 1 }, { unique: true });
const RegisteredDevice = mongoose.model("RegisteredDevice", uniqueDeviceSchema);
export async function findOrRegisterDeviceAtomic(vendorId: string, serial: string, label: string) {
  return RegisteredDevice.findOneAndUpdate(
    { vendorId, serial },
    { $setOnInsert: { vendorId, serial, label } },
    { upsert: true, new: true },
  );
}
