import mongoose, { Schema } from "mongoose";
const Entry = mongoose.model("KvEntry", new Schema({ key: { type: String, unique: true }, value: Schema.Types.Mixed }));
type Operator = "add" | "subtract" | "multiply" | "divide";
// The key-value store's arithmetic reads the stored number, computes in JavaScript and writes the result back with $set.
// Two `add`s on one key both read the same number and both write their own sum: one addition is lost (and the value
// goes through a double on the way).
export async function math(key: string, operator: Operator, operand: number) {
  const entry = await Entry.findOne({ key });
  let value = Number(entry?.value ?? 0);
  switch (operator) {
    case "add":
      value += operand;
      break;
    case "subtract":
      value -= operand;
      break;
    case "multiply":
      value *= operand;
      break;
    case "divide":
      value /= operand;
      break;
  }
  await Entry.updateOne({ key }, { $set: { value } }, { upsert: true });
  return value;
}
// Correct: MongoDB applies the operation to the stored value ($inc, $mul) in one update.
export async function mathAtomic(key: string, operator: Operator, operand: number) {
  const update =
    operator === "add" || operator === "subtract"
      ? { $inc: { value: operator === "add" ? operand : -operand } }
      : { $mul: { value: operator === "multiply" ? operand : 1 / operand } };
  const entry = await Entry.findOneAndUpdate({ key }, update, { upsert: true, new: true });
  return Number(entry?.value);
}
