// Session 29's held-out precision check (wt-judge). The FALSE shapes fixed, written freshly:
// - a Mongoose document whose whole array field is set before `save()` (`locker.parcels = locker.parcels.filter(…)`):
//   Mongoose sends the array as `$set` and so puts the version read (`__v`) in the update's filter and increments it; a
//   concurrent save in between leaves nothing to match and this one fails with a VersionError, nothing is lost.
// - a project retry helper whose pause between attempts is a parameter (`retryOp(op, tries, pauseMs)` awaiting
//   `pauseFor(pauseMs)`, a `setTimeout` promise), called with 0 or leaving out a parameter whose default is 0: the timer
//   waits for nothing, so awaiting the helper under a row lock holds the lock no longer than the statements it retries.
// Beside each, the nearest real mistakes stay reported: the schema that turns the version key off, a read that selects
// its fields without the version, an array set on one branch only, a number field changed on the document (a scalar
// `$set` carries no version), a pause of 250 ms and a default of 250 ms.
import { lockAcrossAwait } from "../../rules/lock-across-await";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A parcel locker's Mongoose model; `options` are the schema's options. */
const lockerModel = (options: string) => `import { Schema, model } from "mongoose";
const lockerSchema = new Schema({ site: String, freeSlots: Number, parcels: [{ code: String, slot: Number }] }${options});
export const Locker = model("Locker", lockerSchema);
`;

/** Hands a parcel out of a locker: `change` is what the call does to the loaded document before saving it. */
const handOut = (change: string, read = "Locker.findOne({ site })") => `import { Locker } from "./locker.model";

export async function handOutParcel(site: string, code: string) {
  const locker = await ${read};
  if (!locker) throw new Error("no locker at " + site);
  ${change}
  await locker.save();
  return locker;
}
`;

const FILTERED = "const remaining = locker.parcels.filter((p) => p.code !== code);\n  locker.parcels = remaining;";

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "Mongoose: the whole array set before save() makes Mongoose check and bump the version",
      files: { "src/locker.model.ts": lockerModel("") },
      filename: "src/hand-out.ts",
      code: handOut(FILTERED),
    },
    {
      name: "Mongoose: an array literal built from the loaded list, set whole before save()",
      files: { "src/locker.model.ts": lockerModel(", { timestamps: true }") },
      filename: "src/hand-out.ts",
      code: handOut("locker.parcels = [...locker.parcels.slice(1)];"),
    },
  ],
  invalid: [
    {
      name: "Mongoose: the same array set on a schema with versionKey: false (nothing checks a version)",
      files: { "src/locker.model.ts": lockerModel(", { versionKey: false }") },
      filename: "src/hand-out.ts",
      code: handOut(FILTERED),
      errors: [{ line: 8, column: 9, messageId: "documentLostUpdate" }],
    },
    {
      name: "Mongoose: the read selects its fields without __v, so the save has no version to check",
      files: { "src/locker.model.ts": lockerModel("") },
      filename: "src/hand-out.ts",
      code: handOut(FILTERED, 'Locker.findOne({ site }).select("site parcels")'),
      errors: [{ line: 8, column: 9, messageId: "documentLostUpdate" }],
    },
    {
      name: "Mongoose: the array set on one branch only, the free-slot count changed on every path",
      files: { "src/locker.model.ts": lockerModel("") },
      filename: "src/hand-out.ts",
      code: handOut('locker.freeSlots = locker.freeSlots + 1;\n  if (code === "*") locker.parcels = [];'),
      errors: [{ line: 8, column: 9, messageId: "documentLostUpdate" }],
    },
    {
      name: "Mongoose: a number field changed on the document (a scalar $set carries no version)",
      files: { "src/locker.model.ts": lockerModel("") },
      filename: "src/hand-out.ts",
      code: handOut("locker.freeSlots = locker.freeSlots + 1;"),
      errors: [{ line: 7, column: 9, messageId: "documentLostUpdate" }],
    },
  ],
});

/** A payout run that marks a row paid inside a Prisma transaction through a retry helper given `call`'s pause. */
const payoutRun = (pauseDefault: string, call: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

function pauseFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function retryOp<T>(op: () => Promise<T>, tries: number, pauseMs${pauseDefault}): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (tries <= 1) throw error;
    await pauseFor(pauseMs);
    return retryOp(op, tries - 1, pauseMs);
  }
}

export async function markPaid(payoutId: string, reference: string) {
  await prisma.$transaction(async (tx) => {
    await tx.payout.update({ where: { id: payoutId }, data: { status: "PAID" } });
    await ${call};
  });
}
`;

const STAMP = "tx.payoutLog.create({ data: { payoutId, reference } })";

runRuleTests(lockAcrossAwait, {
  valid: [
    {
      name: "a retry helper given a pause of 0 ms under the transaction's row lock waits for nothing",
      code: payoutRun(": number", `retryOp(() => ${STAMP}, 3, 0)`),
    },
    {
      name: "a retry helper whose pause parameter defaults to 0, left out",
      code: payoutRun(" = 0", `retryOp(() => ${STAMP}, 3)`),
    },
  ],
  invalid: [
    {
      name: "the same helper given a pause of 250 ms sleeps while the payout row is locked",
      code: payoutRun(": number", `retryOp(() => ${STAMP}, 3, 250)`),
      errors: [{ line: 21, column: 5, messageId: "inLockingTransaction" }],
    },
    {
      name: "a pause parameter that defaults to 250 ms, left out",
      code: payoutRun(" = 250", `retryOp(() => ${STAMP}, 3)`),
      errors: [{ line: 21, column: 5, messageId: "inLockingTransaction" }],
    },
  ],
});
