// select-then-update and an object the function builds itself: a property of a `const` object literal holds what that
// property was given, not what its other properties hold. A fresh id generated for a new child, in an object that also
// copies the parent's path, is no value read from the parent; the copied path still is.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** Creates a folder, under a parent when one is given: the new folder's own id is pushed onto the parent's children. */
const createFolder = (push: string) => `import { ObjectId, type Db } from "mongodb";

export async function createFolder(db: Db, input: { name: string; parent?: string }) {
  const folders = db.collection("folders");
  const parent = input.parent && (await folders.findOne({ _id: new ObjectId(input.parent) }));
  if (input.parent && !parent) throw new Error("no parent");
  const folder = {
    _id: new ObjectId(),
    name: input.name,
    children: [],
    path: [],
    ...(parent && { path: [...parent.path, parent._id] }),
  };
  if (parent) {
    await folders.updateOne({ _id: parent._id }, ${push});
  }
  await folders.insertOne(folder);
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the new folder's fresh id pushed onto the parent: its other properties copy the parent's path",
      code: createFolder("{ $push: { children: folder._id } }"),
    },
  ],
  invalid: [
    {
      name: "the same folder's copied path pushed onto the parent: a value computed from the read",
      code: createFolder("{ $push: { children: folder.path } }"),
      errors: [
        { line: 15, column: 11, messageId: "documentLostUpdate", data: { write: "`folders.updateOne(…)`", column: "the row", line: 5 } },
      ],
    },
    {
      name: "the parent's children array rebuilt from its read: a concurrent create's child is lost",
      code: createFolder("{ $set: { children: [...parent.children, folder._id] } }"),
      errors: [
        { line: 15, column: 11, messageId: "documentLostUpdate", data: { write: "`folders.updateOne(…)`", column: "the row", line: 5 } },
      ],
    },
    {
      name: "Prisma: the property that copies the parent's depth plus one, written back to the parent, stays a lost update",
      code: `import { PrismaClient } from "@prisma/client";
import { randomUUID } from "node:crypto";
const prisma = new PrismaClient();

export async function openThread(parentId: string) {
  const parent = await prisma.thread.findUniqueOrThrow({ where: { id: parentId } });
  const reply = { slug: randomUUID(), depth: parent.depth + 1 };
  await prisma.thread.update({ where: { id: parent.id }, data: { depth: reply.depth } });
}
`,
      errors: [{ line: 8, column: 9, messageId: "lostUpdate", data: { write: "`prisma.thread.update(…)`", column: "`depth`", line: 6 } }],
    },
  ],
});
