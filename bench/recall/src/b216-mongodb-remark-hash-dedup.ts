import { MongoClient } from "mongodb";
const client = new MongoClient(process.env.MONGODB_URI!);
const remarks = client.db("app").collection<{ hash: string; postId: string; author: string; text: string; flagged: boolean }>("remarks");
declare function hashRemark(postId: string, author: string, text: string): string;
declare function moderate(text: string): Promise<{ flagged: boolean }>;
// A remark is deduplicated by the hash of its content: the handler looks the hash up, calls the moderation service and
// then inserts. The collection has no unique index on `hash`, so two identical submissions both find nothing during
// the slow moderation call and both are stored.
export async function addRemark(postId: string, author: string, text: string) {
  const hash = hashRemark(postId, author, text);
  const exists = await remarks.findOne({ hash });
  if (exists) return exists;
  const verdict = await moderate(text);
  const remark = { hash, postId, author, text, flagged: verdict.flagged };
  await remarks.insertOne(remark);
  return remark;
}
