import { Schema, model } from "mongoose";
const Goal = model("Goal", new Schema({ userId: String, target: Number, saved: Number, status: String }));
type Req = { params: { id: string }; userId: string; body: { amount: string } };
type Res = { json(body: unknown): void; status(code: number): { json(body: unknown): void } };
export async function contribute(req: Req, res: Res) {
  const goal = await Goal.findOne({ _id: req.params.id, userId: req.userId });
  if (!goal) return res.status(404).json({ error: "goal not found" });
  goal.saved = Math.min(goal.target!, goal.saved! + Number(req.body.amount));
  if (goal.saved >= goal.target!) goal.status = "completed";
  await goal.save();
  res.json(goal);
}
