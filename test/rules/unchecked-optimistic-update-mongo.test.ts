// unchecked-optimistic-update on MongoDB: a filter that compares the value read (or `__v`) is a compare-and-set, and
// `matchedCount` is its count. Analysis only: no MongoDB server runs here.
import { uncheckedOptimisticUpdate } from "../../rules/unchecked-optimistic-update";
import { runRuleTests } from "../helpers/rule-tester";

const bump = (write: string) => `import { Db } from "mongodb";
export async function bump(db: Db, id: string) {
  const counter = await db.collection("counters").findOne({ _id: id });
  if (!counter) throw new Error("not found");
  ${write}
}
`;

/** Mongoose chapters of a manual, one document per (manual, revision); `index` is the schema's index options. */
const archiveChapter = (index: string) => `import mongoose from "mongoose";
const chapterSchema = new mongoose.Schema({ manualId: String, revision: Number, archived: Boolean });
chapterSchema.index({ manualId: 1, revision: 1 }, ${index});
const Chapter = mongoose.model("Chapter", chapterSchema);
export async function archiveChapter(manualId: string, revision: number) {
  await Chapter.updateOne({ manualId, revision }, { $set: { archived: true } });
}
`;

runRuleTests(uncheckedOptimisticUpdate, {
  valid: [
    {
      name: "MongoDB driver: matchedCount checked",
      code: bump(`const result = await db.collection("counters").updateOne({ _id: id, n: counter.n }, { $set: { n: counter.n + 1 } });
  if (result.matchedCount === 0) throw new Error("changed concurrently");`),
    },
    {
      name: "Mongoose: findOneAndUpdate's document (or null) is used",
      code: `import { Model } from "mongoose";
export async function rename(notes: Model<{ title: string; __v: number }>, id: string, title: string) {
  const note = await notes.findById(id);
  if (!note) throw new Error("not found");
  const saved = await notes.findOneAndUpdate({ _id: id, __v: note.__v }, { $set: { title }, $inc: { __v: 1 } }, { new: true });
  if (!saved) throw new Error("changed concurrently");
  return saved;
}
`,
    },
    {
      name: "MongoDB driver: an atomic $inc pinned by _id only compares nothing",
      code: bump(`await db.collection("counters").updateOne({ _id: id }, { $inc: { n: 1 } });`),
    },
    {
      name: "Mongoose: the revision is part of the schema's unique index with the other field pinned: it names one document",
      code: archiveChapter("{ unique: true }"),
    },
  ],
  invalid: [
    {
      name: "Mongoose: the same update when the schema's index over manual and revision is not unique: revision is compared",
      code: archiveChapter("{ sparse: true }"),
      errors: [
        {
          line: 6,
          column: 9,
          messageId: "unchecked",
          data: { write: "`Chapter.updateOne(…)`", column: "`revision`", count: "`matchedCount`" },
        },
      ],
      output: archiveChapter("{ sparse: true }")
        .replace('import mongoose from "mongoose";\n', '$&import { ConflictError } from "@locksmith/runtime";\n')
        .replace("  await Chapter", "  const updated = await Chapter")
        .replace(/\}\);\n\}\n$/, '});\n  if (updated.matchedCount === 0) throw new ConflictError("chapter changed concurrently");\n}\n'),
    },
    {
      name: "MongoDB driver: a compare-and-set on the value read, matchedCount never checked",
      code: bump(`await db.collection("counters").updateOne({ _id: id, n: counter.n }, { $set: { n: counter.n + 1 } });`),
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: '`db.collection("counters").updateOne(…)`', column: "`n`", count: "`matchedCount`", line: 3 },
          related: [{ line: 3, message: "n read here" }],
        },
      ],
      output: `import { Db } from "mongodb";
import { ConflictError } from "@locksmith/runtime";
export async function bump(db: Db, id: string) {
  const counter = await db.collection("counters").findOne({ _id: id });
  if (!counter) throw new Error("not found");
  const updated = await db.collection("counters").updateOne({ _id: id, n: counter.n }, { $set: { n: counter.n + 1 } });
  if (updated.matchedCount === 0) throw new ConflictError("counters changed concurrently");
}
`,
    },
    {
      name: "Mongoose: a version (__v) compare-and-set through findOneAndUpdate whose result is dropped",
      code: `import { Model } from "mongoose";
export async function rename(notes: Model<{ title: string; __v: number }>, id: string, title: string) {
  const note = await notes.findById(id);
  if (!note) throw new Error("not found");
  await notes.findOneAndUpdate({ _id: id, __v: note.__v }, { $set: { title }, $inc: { __v: 1 } });
}
`,
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "uncheckedAfterRead",
          data: { write: "`notes.findOneAndUpdate(…)`", column: "`__v`", count: "`matchedCount`", line: 3 },
        },
      ],
    },
  ],
});
