// A per-process price cache whose refresh is serialised with an async-mutex Mutex (not reentrant).
import { Mutex } from "async-mutex";

interface PriceSource {
  load(sku: string): Promise<number>;
}

export class PriceCache {
  private readonly mutex = new Mutex();
  private readonly prices = new Map<string, number>();

  constructor(private readonly source: PriceSource) {}

  // ❌ reentrant-lock: `refreshAll` holds `this.mutex` and calls `refresh`, which waits for the same mutex:
  // the await never completes and every later caller queues behind it.
  async refreshAll(skus: string[]) {
    await this.mutex.runExclusive(async () => {
      for (const sku of skus) await this.refresh(sku);
    });
  }

  async refresh(sku: string) {
    await this.mutex.runExclusive(async () => {
      this.prices.set(sku, await this.source.load(sku));
    });
  }

  // ✅ The lock is taken once; the inner step assumes it is held.
  async refreshAllSafely(skus: string[]) {
    await this.mutex.runExclusive(async () => {
      for (const sku of skus) await this.refreshLocked(sku);
    });
  }

  private async refreshLocked(sku: string) {
    this.prices.set(sku, await this.source.load(sku));
  }
}
