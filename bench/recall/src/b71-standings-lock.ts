import { Mutex } from "async-mutex";
import { Standing } from "./models";
const standingsLock = new Mutex();
export async function recordResult(leagueId: number, winnerId: number, loserId: number) {
  const release = await standingsLock.acquire();
  const players = await Standing.count({ where: { leagueId, playerId: [winnerId, loserId] } });
  if (players !== 2) throw new Error("unknown player"); // leaves the mutex held for good
  await Standing.increment("points", { where: { leagueId, playerId: winnerId } });
  await Standing.increment("losses", { where: { leagueId, playerId: loserId } });
  release();
}
