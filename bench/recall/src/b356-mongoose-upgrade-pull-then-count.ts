import mongoose, { Schema } from "mongoose";
const Player = mongoose.model(
  "CasinoPlayer",
  new Schema({ inventory: [{ uniqueId: String, itemId: String, value: Number }] }),
);
// An upgrade consumes the selected items: it pulls them out of the inventory with no precondition, then counts how many
// of them the document held before the pull, and refuses when one was missing. The pull has committed by then: an item
// sold from another tab at the same moment makes the upgrade refuse, and the other selected items are gone, neither
// upgraded nor refunded.
export async function consumeForUpgrade(playerId: string, selectedIds: string[]) {
  const before = await Player.findOneAndUpdate(
    { _id: playerId },
    { $pull: { inventory: { uniqueId: { $in: selectedIds } } } },
  );
  if (!before) throw new Error("no such player");
  const removed = before.inventory.filter((item) => selectedIds.includes(item.uniqueId ?? ""));
  if (removed.length !== selectedIds.length) return { status: 400, message: "Items no longer available" };
  return { status: 200, items: removed };
}
// Correct: the filter requires every selected item to be present, so the pull is all or nothing.
export async function consumeForUpgradeAllOrNothing(playerId: string, selectedIds: string[]) {
  const before = await Player.findOneAndUpdate(
    { _id: playerId, "inventory.uniqueId": { $all: selectedIds } },
    { $pull: { inventory: { uniqueId: { $in: selectedIds } } } },
  );
  if (!before) return { status: 400, message: "Items no longer available" };
  const removed = before.inventory.filter((item) => selectedIds.includes(item.uniqueId ?? ""));
  return { status: 200, items: removed };
}
