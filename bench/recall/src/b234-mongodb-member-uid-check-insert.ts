import { MongoClient } from "mongodb";
type Member = { authUid: string; email: string; createdAt: Date };
const members = new MongoClient(process.env.MONGO_URL!).db("campus").collection<Member>("members");
// The first sign-in creates the member record: a lookup by the identity provider's uid, an insert when it is absent.
// No index makes authUid unique, so two first sign-ins at once both insert and the member exists twice.
export async function ensureMember(authUid: string, email: string) {
  const existing = await members.findOne({ authUid });
  if (existing) return existing;
  const doc: Member = { authUid, email, createdAt: new Date() };
  const { insertedId } = await members.insertOne(doc);
  return { ...doc, _id: insertedId };
}
// Correct: one upsert whose $setOnInsert fills the record only when it creates it.
export async function ensureMemberAtomic(authUid: string, email: string) {
  return members.findOneAndUpdate(
    { authUid },
    { $setOnInsert: { authUid, email, createdAt: new Date() } },
    { upsert: true, returnDocument: "after" },
  );
}
