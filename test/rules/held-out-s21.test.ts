// Session 21's held-out precision check (issue #15): the real bugs of the held-out set (vrite, a MongoDB CMS), each an
// invalid case written freshly in the judged shape. A seat count written to billing as the cached quantity plus a
// change, and a workspace's whole folder list put back in a new order over a concurrent atomic `$push`, both lose a
// concurrent change. (The FALSE shapes fixed have their valid cases beside the rule they concern.)
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

runRuleTests(selectThenUpdate, {
  valid: [],
  invalid: [
    {
      name: "MongoDB: seats written as the cached subscription's quantity + diff; a folder list reordered whole over a $push",
      code: `import { MongoClient, ObjectId } from "mongodb";
declare const client: MongoClient;
declare const stripe: { subscriptions: { update(id: string, body: unknown): Promise<unknown> } };
const workspaces = client.db().collection<{ _id: ObjectId; billing: string; folders: ObjectId[] }>("workspaces");
export async function changeSeats(workspaceId: ObjectId, diff: number) {
  const workspace = await workspaces.findOne({ _id: workspaceId });
  if (!workspace) return;
  const billing = JSON.parse(workspace.billing) as { id: string; item: string; quantity: number };
  const updated = await stripe.subscriptions.update(billing.id, { items: [{ id: billing.item, quantity: billing.quantity + diff }] });
  await workspaces.updateOne({ _id: workspaceId }, { $set: { billing: JSON.stringify(updated) } });
}
export async function moveFolder(workspaceId: ObjectId, folderId: ObjectId, index: number) {
  const workspace = await workspaces.findOne({ _id: workspaceId });
  if (!workspace) return;
  const folders = workspace.folders.filter((id) => !id.equals(folderId));
  folders.splice(index, 0, folderId);
  await workspaces.updateOne({ _id: workspaceId }, { $set: { folders } });
}
export async function addFolder(workspaceId: ObjectId) {
  await workspaces.updateOne({ _id: workspaceId }, { $push: { folders: new ObjectId() } });
}
`,
      errors: [
        { line: 10, column: 9, messageId: "documentLostUpdate" },
        { line: 17, column: 9, messageId: "documentLostUpdate" },
      ],
    },
  ],
});
