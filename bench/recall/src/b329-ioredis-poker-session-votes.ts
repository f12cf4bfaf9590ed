import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
interface PokerSession {
  id: string;
  title: string;
  participants: string[];
  votes: Record<string, string>;
  state: "active" | "revealed";
}
// A planning-poker session is one JSON value in Redis. Recording a vote reads the session, adds the voter's point to its
// votes and writes the whole session back. Votes arriving together each read the session without the other's vote,
// and the last write drops them: checkmarks appear and vanish, and voters must retry until theirs sticks.
export async function recordVote(sessionId: string, userId: string, point: string) {
  const raw = await redis.get(`poker:session:${sessionId}`);
  if (!raw) throw new Error("session expired");
  const session = JSON.parse(raw) as PokerSession;
  if (session.state !== "active") throw new Error("voting is closed");
  session.votes[userId] = point;
  await redis.set(`poker:session:${sessionId}`, JSON.stringify(session), "EX", 86_400);
  return session;
}
// Correct: each vote is a field of its own hash, written with HSET, so votes never overwrite each other.
export async function recordVoteField(sessionId: string, userId: string, point: string) {
  const state = await redis.get(`poker:session:${sessionId}:state`);
  if (state !== "active") throw new Error("voting is closed");
  await redis.hset(`poker:session:${sessionId}:votes`, userId, point);
}
