import { MongoClient } from "mongodb";
const shop = new MongoClient(process.env.MONGO_URL!).db("shop");
type Order = { number: number; customerId: string; lines: { sku: string; qty: number }[]; placedAt: Date };
const orders = shop.collection<Order>("orders");
const counters = shop.collection<{ _id: string; seq: number }>("counters");
// The next order number is the highest stored number plus one: two checkouts read the same highest number and both
// orders are given it.
export async function placeOrder(customerId: string, lines: Order["lines"]) {
  const [last] = await orders.find({}, { projection: { number: 1 } }).sort({ number: -1 }).limit(1).toArray();
  const number = last ? last.number + 1 : 1;
  await orders.insertOne({ number, customerId, lines, placedAt: new Date() });
  return number;
}
// Correct: the number comes from a counter document raised by $inc, which hands each caller its own value.
export async function placeOrderSequenced(customerId: string, lines: Order["lines"]) {
  const counter = await counters.findOneAndUpdate(
    { _id: "orderNumber" },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: "after" },
  );
  const number = counter!.seq;
  await orders.insertOne({ number, customerId, lines, placedAt: new Date() });
  return number;
}
