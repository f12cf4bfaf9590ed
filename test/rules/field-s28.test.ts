// select-then-update, session 28 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged
// corpus, written afresh; each invalid case is its twin that still races.
//
// Pattern 109: a set-once column inside a choice the caller's input makes (`input.starred === undefined ? undefined :
// input.starred ? (note.starredAt === null ? new Date() : undefined) : null`): the clock is written only while the
// column is unset and left out where it is set, and the `null` of the other branch is picked by the input, whatever
// the row held. Two concurrent edits end as one of the two serial orders. A toggle whose `null` is picked by the row
// (`note.starredAt === null ? new Date() : null`) stays reported: two concurrent toggles both star.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** An edit of a note that also stars or unstars it, `starredAt` being the value written for the star. */
const editNote = (starredAt: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function editNote(noteId: string, input: { text: string; starred?: boolean }) {
  const note = await prisma.note.findUnique({ where: { id: noteId }, select: { starredAt: true } });
  if (!note) throw new Error("no such note");
  return prisma.note.update({
    where: { id: noteId },
    data: {
      text: input.text,
      starredAt: ${starredAt},
    },
  });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "starred once while unset, left out while set, cleared where the input says so",
      filename: "src/notes.ts",
      code: editNote("input.starred === undefined ? undefined : input.starred ? (note.starredAt === null ? new Date() : undefined) : null"),
    },
  ],
  invalid: [
    {
      name: "a toggle: the row decides between starring and clearing",
      filename: "src/notes.ts",
      code: editNote("input.starred === undefined ? undefined : note.starredAt === null ? new Date() : null"),
      errors: [{ line: 7, column: 10, messageId: "checkThenWrite" }],
    },
  ],
});
