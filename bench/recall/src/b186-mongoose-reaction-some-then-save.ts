import { Router } from "express";
import { Schema, Types, model } from "mongoose";
const StatusUpdate = model("StatusUpdate", new Schema({ text: String, reactions: [{ user: Schema.Types.ObjectId, emoji: String }] }));
// A reaction is refused when the user already reacted with that emoji; the test is made on the loaded document and the
// reaction pushed and saved after it: two clicks sent together both find none, and both reactions are stored.
export const updates = Router();
updates.post("/:id/reactions", async (req, res, next) => {
  const userId = new Types.ObjectId((req as unknown as { user: { id: string } }).user.id);
  const emoji = String(req.body.emoji);
  try {
    const update = await StatusUpdate.findById(req.params.id);
    if (!update) return res.status(404).json({ error: "Update not found" });
    const already = update.reactions.some((r) => String(r.user) === String(userId) && r.emoji === emoji);
    if (already) return res.status(409).json({ error: "Already reacted" });
    update.reactions.push({ user: userId, emoji });
    await update.save();
    res.status(201).json(update);
  } catch (err) {
    next(err);
  }
});
// Correct: the "not reacted yet" condition is part of the update's filter, so the check and the push are one
// operation; a null result means the update is missing or the user already reacted.
updates.post("/:id/reactions-atomic", async (req, res, next) => {
  const userId = new Types.ObjectId((req as unknown as { user: { id: string } }).user.id);
  const emoji = String(req.body.emoji);
  try {
    const updated = await StatusUpdate.findOneAndUpdate(
      { _id: req.params.id, reactions: { $not: { $elemMatch: { user: userId, emoji } } } },
      { $push: { reactions: { user: userId, emoji } } },
      { new: true },
    );
    if (!updated) {
      const exists = await StatusUpdate.exists({ _id: req.params.id });
      return res.status(exists ? 409 : 404).json({ error: exists ? "Already reacted" : "Update not found" });
    }
    res.status(201).json(updated);
  } catch (err) {
    next(err);
  }
});
