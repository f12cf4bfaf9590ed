import express from "express";
import { MongoClient } from "mongodb";
const mongo = new MongoClient(process.env.MONGO_URL!);
const counters = mongo.db("builds").collection<{ name: string; value: number }>("counters");
export const app = express();
app.get("/:name", async (req, res) => {
  const name = req.params.name;
  const existing = await counters.findOne({ name });
  if (!existing) {
    await counters.insertOne({ name, value: 1 });
    return res.send("1");
  }
  const next = existing.value + 1;
  await counters.updateOne({ name }, { $set: { value: next } });
  res.send(String(next));
});
