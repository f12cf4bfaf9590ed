import Redis from "ioredis";
import Redlock from "redlock";
const redis = new Redis(process.env.REDIS_URL!);
const redlock = new Redlock([redis], { retryCount: 5, retryDelay: 200 });
declare function fetchExchangeFilters(symbol: string): Promise<{ minNotional: number; stepSize: number }>;
// Saving a symbol's trading configuration takes a Redis lock for 500 ms, then reads the stored configuration, asks the
// exchange for the symbol's filters and writes the merged configuration back. The exchange call alone often takes
// longer than the lock's life: the lock expires mid-section, a second save takes it and interleaves, and the first
// save's release fails with "unable to fully release the lock".
export async function saveSymbolConfiguration(symbol: string, changes: Record<string, unknown>) {
  const lock = await redlock.acquire([`redlock:trading-config:${symbol}`], 500);
  try {
    const stored = JSON.parse((await redis.get(`trading-config:${symbol}`)) ?? "{}");
    const filters = await fetchExchangeFilters(symbol);
    const merged = { ...stored, ...changes, minNotional: filters.minNotional, stepSize: filters.stepSize };
    await redis.set(`trading-config:${symbol}`, JSON.stringify(merged));
  } finally {
    await lock.release();
  }
}
