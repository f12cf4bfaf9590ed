// write-skew, session 17's held-out false alarms fixed in session 18. An update that sets the checked column to the
// very literal the check's WHERE compares it with (`SELECT … WHERE slug = 'default'`, then `UPDATE … SET slug =
// 'default'`) moves rows into the set the check looked at, never out: an "insert or update" in two statements enforces
// no minimum. The same check before an update that sets another value (a demotion out of the set) stays reported.
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
      name: "the insert-or-update whose update renames the row found to another slug: it leaves the set",
      code: ENSURE_DEFAULT_GROUP.replace("SET slug = 'default', title", "SET slug = 'fallback', title"),
      errors: [
        {
          line: 10,
          column: 11,
          message:
            "Two concurrent requests can both pass the check of `SELECT slug FROM price_groups WHERE slug = 'default'` at line 6 before either updates with `UPDATE price_groups SET slug = 'fallback', title = 'Default', disco…` at line 10: both do, and the set ends below the minimum the check enforces.",
        },
      ],
    },
  ],
});
