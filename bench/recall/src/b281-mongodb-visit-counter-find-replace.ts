import { MongoClient } from "mongodb";
const client = new MongoClient(process.env.MONGO_URL!);
const counters = client.db("stats").collection<{ name: string; total: number }>("visit_counters");
// Counting a visit loads the counter by name, adds one in memory and writes the whole document back; a missing counter
// is inserted. A hundred visits counted at once all load the document before any write lands: the total grows by one.
export async function countVisit(name: string) {
  const counter = await counters.findOne({ name });
  if (counter) {
    counter.total = counter.total + 1;
    await counters.replaceOne({ _id: counter._id }, counter);
  } else {
    await counters.insertOne({ name, total: 1 });
  }
}
// Correct: one update increments the stored total, creating the counter when it is missing.
export async function countVisitAtomic(name: string) {
  await counters.updateOne({ name }, { $inc: { total: 1 } }, { upsert: true });
}
