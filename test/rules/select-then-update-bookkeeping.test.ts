// select-then-update, session 20: a wrapper that writes a field of the caller's row and also bumps a bookkeeping
// counter (a version `$inc` through an object built beforehand, an `updatedAt` stamp) is still a wrapper, so the
// caller's read-modify-write through it is found; a second write of a real value makes it a service step again.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A board's lanes edited through `updateLane`, which writes the whole array back; `bump` is its second write. */
const board = (
  bump: string,
  caller = "  await updateLane({ board, lane, changes: { title } });",
) => `import { Schema, model } from "mongoose";
interface Lane { key: string; title: string }
interface BoardDoc { id: string; org: string; projects: string[]; lanes: Lane[] }
const Board = model<BoardDoc>("Board", new Schema({ id: String, org: String, projects: [String], lanes: [Object] }));
const Versions = model("BoardVersions", new Schema({ org: String, version: Number, dateUpdated: Date }));
export async function getBoard(id: string) {
  return Board.findOne({ id });
}
async function touchBoardsVersion(org: string, projects: string[]) {
  const inc: Record<string, number> = projects.length ? Object.fromEntries(projects.map((p) => [\`byProject.\${p}\`, 1])) : { version: 1 };
${bump}
}
export async function updateLane({ board, lane, changes }: { board: BoardDoc; lane: string; changes: Partial<Lane> }) {
  const index = board.lanes.findIndex((l) => l.key === lane);
  if (index < 0) throw new Error("no such lane");
  board.lanes[index] = { ...board.lanes[index]!, ...changes };
  await Board.updateOne({ id: board.id }, { $set: { lanes: board.lanes, dateUpdated: new Date() } });
  await touchBoardsVersion(board.org, board.projects);
}
export async function renameLane(boardId: string, lane: string, title: string) {
  const board = await getBoard(boardId);
  if (!board) throw new Error("no such board");
${caller}
}
`;

const COUNTER = "  await Versions.updateOne({ org }, { $inc: inc, $set: { dateUpdated: new Date() } }, { upsert: true });";

/** The call of the helper that writes back the lanes the caller read (line 21). */
const LOST_LANES = {
  line: 23,
  column: 9,
  messageId: "documentLostUpdate",
  data: { write: "`updateLane(…)`", column: "the row", line: 21 },
};

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the helper's second write sets a computed object (`$set: inc`): not bookkeeping, so the helper is a service step",
      code: board("  await Versions.updateOne({ org }, { $set: inc }, { upsert: true });"),
    },
    {
      name: "the helper's second write stores a value of the caller's beside the stamp: a service step",
      code: board("  await Versions.updateOne({ org }, { $inc: inc, $set: { dateUpdated: new Date(), owner: org } }, { upsert: true });"),
    },
    {
      name: "the caller writes a lane it did not take from the row read: nothing read is written back",
      code: board(COUNTER, '  await updateLane({ board: { id: boardId, org: "", projects: [], lanes: [] }, lane, changes: { title } });'),
    },
  ],
  invalid: [
    {
      name: "the whole lanes array read by the caller written back by the helper, beside a version counted by `$inc` through an object built beforehand",
      code: board(COUNTER),
      errors: [LOST_LANES],
    },
    {
      name: "the same with the counter's `$inc` spelled out and its time stamped by `$currentDate`",
      code: board("  await Versions.updateOne({ org }, { $inc: { version: 1 }, $currentDate: { dateUpdated: true } }, { upsert: true });"),
      errors: [{ line: LOST_LANES.line, column: LOST_LANES.column, messageId: LOST_LANES.messageId }],
    },
  ],
});
