import { randomUUID } from "node:crypto";
import { MongoClient, MongoServerError } from "mongodb";
const client = new MongoClient(process.env.MONGO_URL!);
type ChatRoom = { _id: string; t: "l"; open: boolean; v: { token: string }; departmentId?: string; ts: Date };
const rooms = client.db("chat").collection<ChatRoom>("rooms");
// A visitor's first messages arrive on two instances at once. Each looks for the visitor's open room, finds none and
// creates one with an upsert keyed by a fresh random _id, which never matches an existing room. Nothing indexes the
// visitor token, so the visitor ends up with two open rooms and agents answer in both.
export async function getOrCreateVisitorRoom(token: string, departmentId?: string) {
  const open = await rooms.findOne({ t: "l", open: true, "v.token": token });
  if (open) return open;
  return rooms.findOneAndUpdate(
    { _id: randomUUID() },
    { $set: { t: "l", open: true, v: { token }, departmentId, ts: new Date() } },
    { upsert: true, returnDocument: "after" },
  );
}
// Correct: a unique partial index admits one open room per visitor token; the insert that loses the race reads the
// winner's room.
const guardedRooms = client.db("chat").collection<ChatRoom>("guarded_rooms");
export async function ensureRoomIndex() {
  await guardedRooms.createIndex({ "v.token": 1 }, { unique: true, partialFilterExpression: { t: "l", open: true } });
}
export async function getOrCreateVisitorRoomIndexed(token: string, departmentId?: string) {
  const open = await guardedRooms.findOne({ t: "l", open: true, "v.token": token });
  if (open) return open;
  try {
    const room: ChatRoom = { _id: randomUUID(), t: "l", open: true, v: { token }, departmentId, ts: new Date() };
    await guardedRooms.insertOne(room);
    return room;
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 11000) {
      return guardedRooms.findOne({ t: "l", open: true, "v.token": token });
    }
    throw error;
  }
}
