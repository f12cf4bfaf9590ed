import { Client } from "pg";
let readOnlyClient: Client | null = null;
// The read-only client is created on first use and cached. The cache is tested before the connect and filled after
// it: after a cold start, every request that arrives while the first connect is in flight sees no client and opens
// its own, the database's connection limit is hit, and all but the last client stay open, unused.
export async function getReadOnlyClient(): Promise<Client> {
  if (readOnlyClient) return readOnlyClient;
  const client = new Client({ connectionString: process.env.PG_READONLY_URL });
  await client.connect();
  readOnlyClient = client;
  return client;
}
let writeableClientReady: Promise<Client> | null = null;
// Correct: the promise of the connection is cached before anything is awaited, so concurrent callers share it.
export function getWriteableClient(): Promise<Client> {
  if (!writeableClientReady) {
    const client = new Client({ connectionString: process.env.PG_URL });
    writeableClientReady = client.connect().then(() => client);
    writeableClientReady.catch(() => {
      writeableClientReady = null;
    });
  }
  return writeableClientReady;
}
