// select-then-update and the project's writers of a MongoDB document field: a field kept as read when the request
// brings no new value (`fresh || user.email`) is last-writer-wins when no other code writes it, and a lost update when
// another function does. A driver handle is followed to the collection it was set from (`db.collection("users")`,
// a project function returning one, in another file), so two files naming the handle differently are one collection.
// The writers are known only when every update-like call of the project names its collection.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const COLLECTIONS = `import type { Db } from "mongodb";
export const getMembersCollection = (db: Db) => {
  return db.collection("members");
};`;

/** Confirms a pending e-mail change: the new address comes from Redis, or the stored one stays. */
const confirmEmail = `import { ObjectId, type Db } from "mongodb";
import type Redis from "ioredis";
import { getMembersCollection } from "./collections";

export async function confirmEmail(db: Db, redis: Redis, memberId: string) {
  const members = getMembersCollection(db);
  const member = await members.findOne({ _id: new ObjectId(memberId) });
  if (!member) throw new Error("no member");
  const pending = await redis.get(\`member:\${member._id}:pendingEmail\`);
  await members.updateOne({ _id: member._id }, { $set: { ...(pending ? { email: pending || member.email } : {}) } });
}
`;

/** Another module renaming members through a handle of its own name: another field. */
const RENAME = `import { MongoClient } from "mongodb";
const client = new MongoClient("mongodb://localhost");
const people = client.db("app").collection("members");
export async function rename(id: string, name: string) {
  await people.updateOne({ _id: id }, { $set: { name } });
}`;

const DB = `import { MongoClient } from "mongodb";
export const db = new MongoClient("mongodb://localhost").db("app");`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "a field kept as read or replaced by a value looked up by the document's id, and no other code writes it",
      code: confirmEmail,
      files: { "src/collections.ts": COLLECTIONS, "src/rename.ts": RENAME },
    },
    {
      name: "other writers of the collection that cannot set the field: a rest that leaves it out, an $unset, an update in a file without the driver's import",
      code: confirmEmail,
      files: {
        "src/collections.ts": COLLECTIONS,
        "src/profile.ts": `import type { Db } from "mongodb";
import { getMembersCollection } from "./collections";
export async function saveProfile(db: Db, id: string, input: { email?: string; name?: string; bio?: string }) {
  const { email, ...changes } = input;
  const members = getMembersCollection(db);
  await members.updateOne({ _id: id }, { $set: changes });
}`,
        "src/verified.ts": `import type { Db } from "mongodb";
import { getMembersCollection } from "./collections";
export async function markVerified(db: Db, id: string) {
  await getMembersCollection(db).updateOne({ _id: id }, { $unset: { verificationCode: true } });
}`,
        "src/notify.ts": `import { getMembersCollection } from "./collections";
export async function markNotified(db: any, id: string) {
  const target = getMembersCollection(db);
  await target.updateOne({ _id: id }, { $set: { notifiedAt: new Date() } });
}`,
      },
    },
    {
      name: "a file that does not import the driver: its collection named by `db.collection(…)`, updated atomically",
      code: `import { db } from "./db";
const wallets = db.collection("wallets");
export async function credit(id: string, amount: number) {
  const wallet = await wallets.findOne({ _id: id });
  if (!wallet) throw new Error("no wallet");
  await wallets.updateOne({ _id: id }, { $inc: { balance: amount } });
}
`,
      files: { "src/db.ts": DB },
    },
  ],
  invalid: [
    {
      name: "a file that does not import the driver: a balance computed from the read, through a const collection",
      code: `import { db } from "./db";
const wallets = db.collection("wallets");
export async function credit(id: string, amount: number) {
  const wallet = await wallets.findOne({ _id: id });
  if (!wallet) throw new Error("no wallet");
  await wallets.updateOne({ _id: id }, { $set: { balance: wallet.balance + amount } });
}
`,
      files: { "src/db.ts": DB },
      errors: [
        { line: 6, column: 9, messageId: "documentLostUpdate", data: { write: "`wallets.updateOne(…)`", column: "`balance`", line: 4 } },
      ],
    },
    {
      name: "a file that does not import the driver: the collection named in the chain",
      code: `import { db } from "./db";
export async function rename(id: string, suffix: string) {
  const team = await db.collection("teams").findOne({ _id: id });
  if (!team) return;
  await db.collection("teams").updateOne({ _id: id }, { $set: { name: team.name + suffix } });
}
`,
      files: { "src/db.ts": DB },
      errors: [
        {
          line: 5,
          column: 9,
          messageId: "documentLostUpdate",
          data: { write: '`db.collection("teams").updateOne(…)`', column: "`name`", line: 3 },
        },
      ],
    },
    {
      name: "another module sets the same field through a handle of another name: the message names it",
      code: confirmEmail,
      files: {
        "src/collections.ts": COLLECTIONS,
        "src/rename.ts": RENAME,
        "src/admin.ts": `import { MongoClient } from "mongodb";
const client = new MongoClient("mongodb://localhost");
export async function setEmail(id: string, email: string) {
  const all = client.db("app").collection("members");
  await all.updateOne({ _id: id }, { $set: { email } });
}`,
      },
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "sharedFieldLostUpdate",
          data: { write: "`members.updateOne(…)`", column: "`email`", line: 7, writer: "`setEmail` (admin.ts:5)" },
        },
      ],
    },
    {
      name: "a module that does not import the driver replaces members through the helper's handle: it may write the field",
      code: confirmEmail,
      files: {
        "src/collections.ts": COLLECTIONS,
        "src/import.ts": `import { getMembersCollection } from "./collections";
export async function importMembers(db: any, rows: any[]) {
  const target = getMembersCollection(db);
  await target.bulkWrite(rows.map((row) => ({ replaceOne: { filter: { _id: row.id }, replacement: row } })));
}`,
      },
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "maybeSharedFieldLostUpdate",
          data: { write: "`members.updateOne(…)`", column: "`email`", line: 7, writer: "`importMembers` (import.ts:4)" },
        },
      ],
    },
    {
      name: "a rest that leaves out another field may hold the e-mail: the message says it may write it",
      code: confirmEmail,
      files: {
        "src/collections.ts": COLLECTIONS,
        "src/profile.ts": `import type { Db } from "mongodb";
import { getMembersCollection } from "./collections";
export async function saveProfile(db: Db, id: string, input: { role?: string; email?: string; name?: string }) {
  const { role, ...changes } = input;
  const members = getMembersCollection(db);
  await members.updateOne({ _id: id }, { $set: changes });
}`,
      },
      errors: [
        {
          line: 10,
          column: 9,
          messageId: "maybeSharedFieldLostUpdate",
          data: { write: "`members.updateOne(…)`", column: "`email`", line: 7, writer: "`saveProfile` (profile.ts:6)" },
        },
      ],
    },
    {
      name: "an update through a handle nothing names: the field's writers are not known, the lost update is reported as such",
      code: confirmEmail,
      files: {
        "src/collections.ts": COLLECTIONS,
        "src/sync.ts": `export async function sync(store: { updateOne(filter: object, update: object): Promise<unknown> }, id: string) {
  await store.updateOne({ _id: id }, { $set: { synced: true } });
}`,
      },
      errors: [
        { line: 10, column: 9, messageId: "documentLostUpdate", data: { write: "`members.updateOne(…)`", column: "`email`", line: 7 } },
      ],
    },
    {
      name: "a counter computed from the field read stays a lost update with one writer",
      code: `import { ObjectId, type Db } from "mongodb";
import { getMembersCollection } from "./collections";

export async function addPoints(db: Db, memberId: string, points: number) {
  const members = getMembersCollection(db);
  const member = await members.findOne({ _id: new ObjectId(memberId) });
  if (!member) throw new Error("no member");
  await members.updateOne({ _id: member._id }, { $set: { points: member.points + points } });
}
`,
      files: { "src/collections.ts": COLLECTIONS },
      errors: [
        { line: 8, column: 9, messageId: "documentLostUpdate", data: { write: "`members.updateOne(…)`", column: "`points`", line: 6 } },
      ],
    },
  ],
});
