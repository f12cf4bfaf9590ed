import Redis from "ioredis";

const redis = new Redis();
let lastSeen: bigint | null = null;

async function fetchHeight(): Promise<bigint> {
  const res = await fetch("https://rpc.example.com/height");
  return BigInt(await res.text());
}

async function onNewHeight(height: bigint): Promise<void> {
  const res = await fetch(`https://rpc.example.com/block/${height}`);
  console.log(await res.text());
}

// One instance per interval asks the node for the height (the lease only lapses); every instance handles new heights.
export async function poll(intervalMs: number): Promise<void> {
  let height: bigint | null = null;
  const won = await redis.set("height:guard", "1", "PX", intervalMs, "NX").catch(() => "OK");
  if (won === "OK") {
    height = await fetchHeight();
    await redis.set("height:value", height.toString(), "PX", intervalMs);
  } else {
    const cached = await redis.get("height:value");
    height = cached ? BigInt(cached) : null;
    if (!height) return;
  }
  if (height !== lastSeen) {
    lastSeen = height;
    await onNewHeight(height);
  }
}
