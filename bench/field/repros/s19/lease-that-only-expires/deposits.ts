import Redis from "ioredis";

const redis = new Redis();

async function notifyWallet(url: string, body: unknown): Promise<void> {
  await fetch(url, { method: "POST", body: JSON.stringify(body) });
}

// Each output is credited once per minute at most: the marker is never deleted, it lapses after 60 s.
export async function onOutputs(outputs: Array<{ txid: string; vout: number; seen: boolean; hook: string }>): Promise<void> {
  for (const output of outputs) {
    if (!output.seen) {
      const marker = `seenlock:${output.txid}:${output.vout}`;
      if (!(await redis.set(marker, "1", "EX", 60, "NX"))) continue;
      await redis.incrby(`pending:${output.txid}`, 1);
    } else {
      await notifyWallet(output.hook, output);
    }
  }
}

// One refresh per second across workers: the one-second lease is the rate limit and is never released.
export async function refreshCollection(queue: string, collection: string): Promise<void> {
  if (await redis.set(`${queue}:tick`, "1", "EX", 1, "NX")) {
    await notifyWallet(`https://metadata.example.com/refresh/${collection}`, { collection });
  }
}
