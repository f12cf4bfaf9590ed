import { redis, takeLock } from "./redis";

declare function queueMetadataFetch(contract: string, tokenId: string): Promise<void>;

// A 10 s marker that a fetch is queued for a new token; another handler reads it to skip its own fetch.
export async function onMint(contract: string, tokenId: string): Promise<void> {
  await takeLock(`fetch-queued:${contract}:${tokenId}`, 10);
  await queueMetadataFetch(contract, tokenId);
}

export async function onMarketplaceEvent(contract: string, tokenId: string): Promise<void> {
  if ((await redis.exists(`fetch-queued:${contract}:${tokenId}`)) === 1) return;
  await queueMetadataFetch(contract, tokenId);
}
