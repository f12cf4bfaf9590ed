// select-then-update, session 29 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged
// corpus, written afresh; each invalid case is its twin that still races.
//
// Pattern 134: a row renamed to free a unique value, the column written as read with only a fresh random or clock
// token added (`${room.handle}-${nanoid(5)}`, `${room.handle}~retired-${Date.now()}`), beside constants and the clock.
// Two concurrent renames differ only in their tokens: nothing a caller meant is lost. An append of the caller's text
// carries caller data and stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** Retiring a chat room: its handle is freed by a rename whose new value is `handle`, written with `extra`. */
const retireRoom = (handle: string, extra = "") => `import { PrismaClient } from "@prisma/client";
import { nanoid } from "nanoid";
const prisma = new PrismaClient();

export async function retireRoom(roomId: string, input: { reason: string }) {
  const room = await prisma.room.findUniqueOrThrow({ where: { id: roomId } });
  const freed = ${handle};
  return prisma.room.update({
    where: { id: roomId },
    data: { retiredAt: new Date(), handle: freed, alias: freed${extra} },
  });
}
`;

/** An older account holding a wanted login gets it renamed away (a one-statement Prisma write). */
const releaseLogin = (login: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();

export async function releaseLogin(wanted: string, note: string) {
  const holder = await prisma.member.findFirst({ where: { login: wanted } });
  if (!holder) return;
  await prisma.member.update({ where: { id: holder.id }, data: { login: ${login} } });
}
`;

/** The same rename through an Objection instance patch. */
const releaseHandle = `import { Model } from "objection";
class Channel extends Model {
  static tableName = "channels";
  id!: string;
  handle!: string;
}

export async function releaseHandle(wanted: string) {
  const holder = await Channel.query().first().where("handle", wanted);
  if (!holder) return;
  await holder.$query().patch({ handle: \`\${holder.handle}__stale-\${Date.now()}\` });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an Objection instance patch renaming the holder of a wanted handle",
      filename: "src/channels.ts",
      code: releaseHandle,
    },
    {
      name: "a retired room's handle freed with a random suffix, beside the clock",
      filename: "src/rooms.ts",
      code: retireRoom("`${room.handle}-${nanoid(5)}`"),
    },
    {
      name: "a held login renamed away with a clock suffix, by concatenation",
      filename: "src/members.ts",
      code: releaseLogin('holder.login + "~retired-" + Date.now()'),
    },
    {
      name: "the clock read through a fresh date",
      filename: "src/members.ts",
      code: releaseLogin("`${holder.login}~${new Date().getTime()}`"),
    },
    {
      name: "a random token cut short is still a token",
      filename: "src/members.ts",
      code: releaseLogin("`${holder.login}.${crypto.randomUUID().slice(0, 8)}`"),
    },
  ],
  invalid: [
    {
      name: "the caller's text appended to the value read",
      filename: "src/members.ts",
      code: releaseLogin("`${holder.login}-${note}`"),
      errors: [{ line: 7, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "a date the caller gave is not the clock",
      filename: "src/members.ts",
      code: releaseLogin("`${holder.login}-${new Date(note).getTime()}`"),
      errors: [{ line: 7, column: 9, messageId: "lostUpdate" }],
    },
    {
      name: "a random suffix, but the write also stores the caller's reason",
      filename: "src/rooms.ts",
      code: retireRoom("`${room.handle}-${nanoid(5)}`", ", note: input.reason"),
      errors: [{ line: 8, column: 10, messageId: "lostUpdate" }],
    },
  ],
});
