// select-then-update on a get-or-create: a row looked up by some values is returned when it is found (and usable), and
// otherwise a row with those same values is inserted. The insert changes no column of the row read: two concurrent
// calls that both miss insert two rows, the duplicate that write-skew reports against the schema's unique indexes,
// not a lost update of the row read, whatever column of it the usable-row check tests. Look-alike: the same lookup and
// insert where a row found makes the call refuse (`throw`): the check is then the rule the insert must keep, and two
// callers that both pass it both insert.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const shareFile = (found: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function newShareId(): string;
declare function objectExists(key: string): Promise<boolean>;

export async function shareFile(uid: string, fileId: string, title: string) {
  const existing = await prisma.shareRecord.findFirst({ where: { entityId: fileId, entityType: "file", deletedAt: null } });
  const ready = existing?.storageKey && (await objectExists(existing.storageKey));
  ${found}
  const storageKey = \`share/\${fileId}.json\`;
  return prisma.shareRecord.create({ data: { shareId: newShareId(), uid, entityId: fileId, entityType: "file", storageKey, title } });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "get-or-create: the row found is returned when its stored file is there, else a row with the lookup's values is inserted",
      code: shareFile("if (existing && ready) return existing;"),
    },
    {
      name: "get-or-create returning a result that carries the row found",
      code: shareFile("if (existing && ready) return { share: existing, reused: true };"),
    },
  ],
  invalid: [
    {
      name: "the same lookup and insert, but a row found refuses the call: two callers both pass the check and both insert",
      code: shareFile('if (existing && ready) throw new Error("already shared");'),
      errors: [
        {
          line: 11,
          column: 10,
          messageId: "checkThenWrite",
          data: { write: "`prisma.shareRecord.create(…)`", column: "`storageKey`", line: 7 },
        },
      ],
    },
  ],
});
