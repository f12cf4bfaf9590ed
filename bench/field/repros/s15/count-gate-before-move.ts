// FALSE shape (write-skew), session 15 held-out check, growi apps/app/src/server/service/page/index.ts:4208 and :4242.
// Rule that would make it silent: a count used only as an existence gate for an update whose own filter selects the
// rows it changes (move every child of X to Y) enforces no minimum of a set; passing the gate twice moves nothing twice
// and deletes nothing.
import mongoose from "mongoose";

const Folder = mongoose.model("Folder", new mongoose.Schema({ path: String, parent: mongoose.Schema.Types.ObjectId, hidden: Boolean }));

export async function hideFolder(folderId: string) {
  const folder = await Folder.findById(folderId);
  if (!folder) throw new Error("not found");
  const hasChildren = await Folder.count({ path: new RegExp(`^${folder.path}/`), parent: { $ne: null } });
  if (folder.hidden === false && hasChildren) {
    const placeholder = await Folder.create({ path: folder.path, parent: folder.parent, hidden: false });
    await Folder.updateMany({ parent: folder._id }, { parent: placeholder._id });
  }
  folder.hidden = true;
  await folder.save();
}
