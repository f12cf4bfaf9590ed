import { Mutex } from "async-mutex";

// The quote API allows one request at a time: the mutex queues the requests, nothing else.
const oneAtATime = new Mutex();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function fetchQuote(symbol: string): Promise<number> {
  return oneAtATime.runExclusive(async () => {
    const response = await fetch(`https://quotes.example.com/v1/${encodeURIComponent(symbol)}`);
    if (response.status === 429) await pause(1000);
    const body: { price?: number } | undefined = await response.json();
    if (!body?.price) throw new Error(`no quote for ${symbol}`);
    return body.price;
  });
}
