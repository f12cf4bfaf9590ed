import { randomBytes } from "node:crypto";
import { Schema, Types, model } from "mongoose";
const Poll = model("Poll", new Schema({ open: Boolean, voters: [{ member: Schema.Types.ObjectId }] }));
const Ballot = model("Ballot", new Schema({ hash: String, option: Schema.Types.ObjectId }));
// Whether the member has voted is read from the poll's voter list, and the member is pushed onto it and the poll saved
// after the test: two ballots from one member sent together both find no entry, and both are stored.
export async function castBallot(pollId: Types.ObjectId, optionId: Types.ObjectId, memberId: Types.ObjectId) {
  const poll = await Poll.findById(pollId).exec();
  if (!poll || !poll.open) throw new Error("The poll is closed");
  const already = poll.voters.some((entry) => String(entry.member) === String(memberId));
  if (already) throw new Error("Already voted");
  const ballot = new Ballot({ hash: randomBytes(12).toString("hex"), option: optionId });
  poll.voters.push({ member: memberId });
  await poll.save();
  return ballot.save();
}
