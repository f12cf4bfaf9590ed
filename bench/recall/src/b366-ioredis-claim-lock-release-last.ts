import { randomUUID } from "node:crypto";
import Redis from "ioredis";
const redis = new Redis(process.env.REDIS_URL!);
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
type Vote = { id: string; items: string[] };
declare function listUnclaimedVotes(playerId: string): Promise<Vote[]>;
declare function giveItemsInGame(playerId: string, items: string[]): Promise<void>;
declare function markVoteClaimed(voteId: string): Promise<void>;
// Claiming vote rewards holds a per-player lock while items are given in game and each vote is marked claimed. The
// release is the last statement: when the game server refuses an item halfway, the lock stays until its five-minute
// expiry and every claim the player retries meanwhile is turned away as "already in progress".
export async function claimVoteRewards(playerId: string) {
  const lockKey = `claim-lock:${playerId}`;
  const token = randomUUID();
  const locked = await redis.set(lockKey, token, "EX", 300, "NX");
  if (locked !== "OK") throw new Error("a claim is already in progress");
  const votes = await listUnclaimedVotes(playerId);
  for (const vote of votes) {
    await giveItemsInGame(playerId, vote.items);
    await markVoteClaimed(vote.id);
  }
  await redis.eval(RELEASE, 1, lockKey, token);
  return votes.length;
}
// Correct: the release is in `finally`.
export async function claimVoteRewardsReleased(playerId: string) {
  const lockKey = `claim-lock:${playerId}`;
  const token = randomUUID();
  const locked = await redis.set(lockKey, token, "EX", 300, "NX");
  if (locked !== "OK") throw new Error("a claim is already in progress");
  try {
    const votes = await listUnclaimedVotes(playerId);
    for (const vote of votes) {
      await giveItemsInGame(playerId, vote.items);
      await markVoteClaimed(vote.id);
    }
    return votes.length;
  } finally {
    await redis.eval(RELEASE, 1, lockKey, token);
  }
}
