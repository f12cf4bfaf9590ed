import mongoose, { Model, Schema } from "mongoose";
interface Listener {
  name: string;
  city: string;
}
interface ListenerModel extends Model<Listener> {
  findOneOrCreate(condition: Partial<Listener>, doc: Listener): Promise<mongoose.HydratedDocument<Listener>>;
}
const listenerSchema = new Schema<Listener, ListenerModel>({ name: String, city: String });
// A find-one-or-create helper added as a schema static: it looks the document up by the condition and creates it when
// nothing matched. Called twice in a row without waiting (two requests for the same new listener), both lookups find
// nothing and two documents are created; the schema declares no unique index over the name.
listenerSchema.static("findOneOrCreate", async function (condition: Partial<Listener>, doc: Listener) {
  const found = await this.findOne(condition);
  if (found) return found;
  return this.create(doc);
});
export const Listener = mongoose.model<Listener, ListenerModel>("Listener", listenerSchema);
export async function registerListener(name: string, city: string) {
  return Listener.findOneOrCreate({ name }, { name, city });
}
