import { Mutex } from "async-mutex";
declare function fetchGasPrice(): Promise<number>;
export class NonceTracker {
  private readonly mutex = new Mutex();
  private next = 0;
  async getNonce(): Promise<number> {
    const release = await this.mutex.acquire();
    const gas = await fetchGasPrice();
    if (gas < 0) throw new Error("bad gas price");
    const nonce = this.next++;
    release();
    return nonce;
  }
}
