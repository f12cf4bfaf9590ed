// select-then-update, session 17: a Mongoose document read, changed in code and written back whole through
// `updateOne(filter, { $set: doc.toObject() })` (bench/recall b119), next to correct look-alikes that stay silent.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A shelf's stock raised by a delivery: `body` runs after the shelf is read into `shelf`. */
const receive = (body: string) => `import { Schema, model } from "mongoose";
const Shelf = model("Shelf", new Schema({ label: String, stock: Number, rev: Number }));
const ShelfCopy = model("ShelfCopy", new Schema({ label: String, stock: Number }));
export async function receive(shelfId: string, delivered: number) {
  const shelf = await Shelf.findOne({ _id: shelfId });
  if (!shelf) throw new Error("no such shelf");
${body}
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Mongoose: the stock raised by `$inc`, the database computing the new value",
      code: receive("  await Shelf.updateOne({ _id: shelf._id }, { $inc: { stock: delivered } });"),
    },
    {
      name: "Mongoose: the document written back under the revision it was read at, and a miss refused",
      code: receive(`  const rev = shelf.rev ?? 0;
  shelf.stock = (shelf.stock ?? 0) + delivered;
  shelf.rev = rev + 1;
  const res = await Shelf.updateOne({ _id: shelf._id, rev }, { $set: shelf.toObject() });
  if (res.modifiedCount === 0) throw new Error("shelf changed meanwhile");`),
    },
    {
      name: "Mongoose: the document copied unchanged into another collection",
      code: receive("  await ShelfCopy.updateOne({ _id: shelf._id }, { $set: shelf.toObject() }, { upsert: true });"),
    },
    {
      name: "Mongoose: a `$set` of a literal beside the document, no value computed from it",
      code: receive('  await Shelf.updateOne({ _id: shelf._id }, { $set: { label: "restocked" } });'),
    },
  ],
  invalid: [
    {
      name: "Mongoose: the stock raised in code and the whole document written back with `$set: doc.toObject()` (b119)",
      code: receive(`  shelf.stock = (shelf.stock ?? 0) + delivered;
  await Shelf.updateOne({ _id: shelf._id }, { $set: shelf.toObject() });`),
      errors: [
        {
          line: 8,
          column: 9,
          messageId: "documentLostUpdate",
          data: { write: "`Shelf.updateOne(…)`", column: "`stock`", line: 5 },
          help: "Put the check (or the value read, or a version) in the update's filter and check `matchedCount`.",
        },
      ],
    },
    {
      name: "Mongoose: the same with the document itself as the `$set`",
      code: receive(`  shelf.stock = (shelf.stock ?? 0) + delivered;
  await Shelf.updateOne({ _id: shelf._id }, { $set: shelf });`),
      errors: [{ line: 8, column: 9, messageId: "documentLostUpdate" }],
    },
  ],
});
