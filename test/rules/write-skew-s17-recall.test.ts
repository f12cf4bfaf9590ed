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

/** Drizzle: an organisation's live domains counted against a cap, then `insert` runs (b117). */
const addDomains = (insert: string) => `import { and, count, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
const domains = pgTable("domains", { id: uuid("id").primaryKey(), orgId: uuid("org_id").notNull(), host: text("host").notNull(), removedAt: timestamp("removed_at") });
const domainLog = pgTable("domain_log", { id: uuid("id").primaryKey(), orgId: uuid("org_id").notNull(), host: text("host").notNull() });
const db = drizzle(process.env.DATABASE_URL!);
export async function addDomains(orgId: string, parentOrgId: string, hosts: string[]) {
  const [{ n }] = await db.select({ n: count() }).from(domains).where(and(eq(domains.orgId, orgId), isNull(domains.removedAt)));
  if (n + hosts.length > 100) throw new Error("domain limit reached");
  ${insert}
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
    {
      name: "Drizzle: the rows mapped from the list go to another table than the one counted",
      code: addDomains("await db.insert(domainLog).values(hosts.map((host) => ({ orgId, host })));"),
    },
    {
      name: "Drizzle: the rows mapped from the list belong to another organisation than the one counted",
      code: addDomains("await db.insert(domains).values(hosts.map((host) => ({ orgId: parentOrgId, host })));"),
    },
  ],
  invalid: [
    {
      name: "Drizzle: counted against the cap, then the rows mapped from the list inserted into the counted set (b117)",
      code: addDomains("await db.insert(domains).values(hosts.map((host) => ({ orgId, host })));"),
      errors: [{ line: 10, column: 9, messageId: "grows" }],
    },
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
