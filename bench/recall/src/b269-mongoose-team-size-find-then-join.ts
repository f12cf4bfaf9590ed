import mongoose, { Schema } from "mongoose";
const Hacker = mongoose.model(
  "Hacker",
  new Schema({ email: String, verified: Boolean, teamCode: { type: String, default: null }, name: String }),
);
const TEAM_SIZE = 4;
// Joining a team lists the team's current members and refuses when the team is full, then sets the joiner's team
// code. Four people joining a team of one at the same moment all count one member, all join, and the team has five.
export async function joinTeam(hackerId: string, teamCode: string) {
  const members = await Hacker.find({ teamCode }).select("name");
  if (members.length >= TEAM_SIZE) throw new Error("Team is full.");
  return Hacker.findOneAndUpdate({ _id: hackerId, verified: true }, { $set: { teamCode } }, { new: true });
}
// Correct: a team document holds the member count, and a seat is taken by one conditional $inc that only matches
// while the team has room.
const Team = mongoose.model("Team", new Schema({ code: { type: String, unique: true }, members: Number }));
export async function joinTeamCounted(hackerId: string, teamCode: string) {
  const seat = await Team.findOneAndUpdate({ code: teamCode, members: { $lt: TEAM_SIZE } }, { $inc: { members: 1 } }, { new: true });
  if (!seat) throw new Error("Team is full.");
  return Hacker.findOneAndUpdate({ _id: hackerId, verified: true }, { $set: { teamCode } }, { new: true });
}
