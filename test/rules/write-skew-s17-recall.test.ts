// write-skew, session 17: labelled bugs of the held-out set b114–b129 missed at its start, each written afresh next to
// correct look-alikes that stay silent.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** A sign-in that looks a member up by its provider id and saves a new one when none is found (b120). */
const signIn = (schemaExtra: string, save: string) => `import mongoose, { Schema } from "mongoose";

const accountSchema = new Schema({ providerId: String, name: String, joinedAt: Date });
${schemaExtra}
const Account = mongoose.model("Account", accountSchema);
const Audit = mongoose.model("Audit", new Schema({ providerId: String, at: Date }));

export async function signIn(providerId: string, name: string) {
  const account = await Account.findOne({ providerId });
  if (account) return account;
${save}
}
`;

const SAVE_NEW_ACCOUNT = `  const created = new Account({ providerId, name, joinedAt: new Date() });
  await created.save();
  return created;`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "Mongoose: a document built with `new` and saved, under a unique index over the field looked up",
      code: signIn("accountSchema.index({ providerId: 1 }, { unique: true });", SAVE_NEW_ACCOUNT),
    },
    {
      name: "Mongoose: the field declared unique in the schema",
      code: signIn("", SAVE_NEW_ACCOUNT).replace("providerId: String, name", "providerId: { type: String, unique: true }, name"),
    },
    {
      name: "Mongoose: the model imported from a project file (its schema, and its indexes, are not seen)",
      code: `import { Account } from "./account.model";

export async function signIn(providerId: string, name: string) {
  const account = await Account.findOne({ providerId });
  if (account) return account;
  const created = new Account({ providerId, name, joinedAt: new Date() });
  await created.save();
  return created;
}
`,
      files: { "src/account.model.ts": "export declare const Account: any;\n" },
    },
    {
      name: "Mongoose: the document saved is one of another model (an audit entry, not the account looked up)",
      code: signIn(
        "",
        `  const entry = new Audit({ providerId, at: new Date() });
  await entry.save();
  return null;`,
      ),
    },
    {
      name: "Mongoose: the document found is changed and saved (an update of that document, no insert)",
      code: signIn(
        "",
        `  const again = await Account.findOne({ name });
  if (!again) throw new Error("unknown name");
  again.providerId = providerId;
  await again.save();
  return again;`,
      ),
    },
  ],
  invalid: [
    {
      name: "Mongoose: looked up, then a document built with `new Model({ … })` saved when none was found (b120)",
      code: signIn("", SAVE_NEW_ACCOUNT),
      errors: [
        {
          line: 12,
          column: 9,
          messageId: "duplicate",
          data: { fields: "`providerId`", checkLine: 9, write: "`created.save(…)`", line: 12 },
          help: /unique index over `providerId` on the schema/,
        },
      ],
    },
  ],
});
