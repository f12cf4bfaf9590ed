import { Router } from "express";
import { Schema, model } from "mongoose";
const Voter = model("Voter", new Schema({ name: String, role: String, hasVoted: { type: Boolean, default: false } }));
const Nominee = model(
  "Nominee",
  new Schema({ name: String, ballots: [{ voter: Schema.Types.ObjectId }], tally: { type: Number, default: 0 } }),
);
// The voter's flag is read and tested, the nominee loaded, its tally raised in memory and saved, and the flag set only
// after that: one voter's parallel requests all pass the test, and the nominee's whole-document saves overwrite each
// other's tally.
export const voting = Router();
voting.post("/vote/:nomineeId", async (req, res) => {
  const voterId = (req as unknown as { user: { id: string } }).user.id;
  const voter = await Voter.findById(voterId);
  if (!voter) return res.status(404).json({ message: "voter not found" });
  if (voter.role === "admin") return res.status(403).json({ message: "admins cannot vote" });
  if (voter.hasVoted) return res.status(400).json({ message: "You have already voted" });
  const nominee = await Nominee.findById(req.params.nomineeId);
  if (!nominee) return res.status(404).json({ message: "nominee not found" });
  nominee.ballots.push({ voter: voter._id });
  nominee.tally++;
  await nominee.save();
  voter.hasVoted = true;
  await voter.save();
  return res.json({ message: "Vote recorded" });
});
