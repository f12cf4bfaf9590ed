// Sails exposes each Waterline model as a global.
interface BoxRecord {
  id: string;
  owner: string;
  contents: string[];
  save(): Promise<void>;
}
interface WaterlineModel<T> {
  findOne(criteria: Record<string, unknown>): Promise<T | undefined>;
  getDatastore(): { manager: { collection(name: string): { updateOne(filter: object, update: object): Promise<unknown> } } };
}
declare const Box: WaterlineModel<BoxRecord>;
// Adding a creature to a box loads the box, pushes the creature's id onto its contents and saves the record. save()
// writes the whole contents array as loaded: two uploads into one box at once each push onto the same copy, and the
// second save drops the first upload's creature from the box.
export async function addToBox(boxId: string, ownerName: string, creatureId: string) {
  const box = await Box.findOne({ id: boxId });
  if (!box || box.owner !== ownerName) throw new Error("box not found");
  box.contents.push(creatureId);
  await box.save();
  return box;
}
// Correct: the push is one update in the database ($push on the stored array), so concurrent additions all land.
export async function addToBoxAtomic(boxId: string, ownerName: string, creatureId: string) {
  const boxes = Box.getDatastore().manager.collection("box");
  await boxes.updateOne({ _id: boxId, owner: ownerName }, { $push: { contents: creatureId } });
}
