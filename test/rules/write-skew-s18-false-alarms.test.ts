// write-skew, session 17's held-out false alarms fixed in session 18. An update that sets the checked column to the
// very literal the check's WHERE compares it with (`SELECT … WHERE slug = 'default'`, then `UPDATE … SET slug =
// 'default'`) moves rows into the set the check looked at, never out: an "insert or update" in two statements enforces
// no minimum. Likewise an update that sets a column the check requires not to be null (`parent: { $ne: null }`) to a
// value that cannot be null (the id of a row the function created) keeps its rows in the set. The same checks before an
// update that sets another value (a demotion, a detach to null) stay reported.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

const ENSURE_DEFAULT_GROUP = `import mysql from "mysql2/promise";

const pool = mysql.createPool({ database: "shop" });

export async function ensureDefaultGroup(): Promise<void> {
  const [found]: any = await pool.query("SELECT slug FROM price_groups WHERE slug = 'default'");
  if (found.length === 0) {
    await pool.query("INSERT INTO price_groups(slug, title, discount) VALUES ('default', 'Default', 0)");
  } else {
    await pool.query("UPDATE price_groups SET slug = 'default', title = 'Default', discount = 0 WHERE position = 1");
  }
}
`;

const DEMOTE_EDITOR = `import mysql from "mysql2/promise";

const pool = mysql.createPool({ database: "cms" });

export async function demote(memberId: number): Promise<void> {
  const [rows]: any = await pool.query("SELECT COUNT(*) AS n FROM members WHERE role = 'editor'");
  if (rows[0].n > 1) {
    await pool.query("UPDATE members SET role = 'reader' WHERE id = ?", [memberId]);
  }
}
`;

const REPARENT_TOPICS = `import mongoose from "mongoose";

const Topic = mongoose.model("Topic", new mongoose.Schema({ slug: String, parent: mongoose.Schema.Types.ObjectId, archived: Boolean }));

export async function archiveTopic(topicId: string) {
  const topic = await Topic.findById(topicId);
  if (!topic) throw new Error("no topic");
  const children = await Topic.count({ slug: new RegExp(\`^\${topic.slug}/\`), parent: { $ne: null } });
  if (!topic.archived && children) {
    const holder = await Topic.create({ slug: topic.slug, parent: topic.parent, archived: false });
    await Topic.updateMany({ parent: topic._id }, { parent: holder._id });
  }
  topic.archived = true;
  await topic.save();
}
`;

runRuleTests(writeSkew, {
  valid: [
    {
      name: "an insert-or-update in two statements whose update sets the checked column to the literal looked up",
      code: ENSURE_DEFAULT_GROUP,
    },
    {
      name: "a count of editors before an update that makes one more editor: the set only grows",
      code: DEMOTE_EDITOR.replace("SET role = 'reader'", "SET role = 'editor'"),
    },
    {
      name: "Mongoose: a count of children with a parent before moving them to a created holder: they keep a parent",
      code: REPARENT_TOPICS,
    },
    {
      // Session 24: a removal that binds no value of its caller is the same statement in every run.
      name: "the same rename to another slug of a row named by a constant: every run renames the same row",
      code: ENSURE_DEFAULT_GROUP.replace("SET slug = 'default', title", "SET slug = 'fallback', title"),
    },
  ],
  invalid: [
    {
      name: "a count of editors kept above one before an update that moves a member out of the set",
      code: DEMOTE_EDITOR,
      errors: [
        {
          line: 8,
          column: 11,
          message:
            "Two concurrent requests can both pass the check of `SELECT COUNT(*) AS n FROM members WHERE role = 'editor'` at line 6 before either updates with `UPDATE members SET role = 'reader' WHERE id = ?` at line 8: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
    {
      name: "the insert-or-update whose update renames the caller's row to another slug: it leaves the set",
      code: ENSURE_DEFAULT_GROUP.replace("SET slug = 'default', title", "SET slug = 'fallback', title")
        .replace("ensureDefaultGroup()", "ensureDefaultGroup(position: number)")
        .replace('WHERE position = 1")', 'WHERE position = ?", [position])'),
      errors: [
        {
          line: 10,
          column: 11,
          message:
            "Two concurrent requests can both pass the check of `SELECT slug FROM price_groups WHERE slug = 'default'` at line 6 before either updates with `UPDATE price_groups SET slug = 'fallback', title = 'Default', disco…` at line 10: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
    {
      name: "Mongoose: the same count before detaching the children (`parent: null`): they leave the set",
      code: REPARENT_TOPICS.replace("{ parent: holder._id }", "{ parent: null }"),
      errors: [
        {
          line: 11,
          column: 11,
          message:
            "Two concurrent requests can both pass the check of `Topic.count(…)` at line 8 before either updates with `Topic.updateMany(…)` at line 11: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
  ],
});
