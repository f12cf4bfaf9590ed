// A keyed async mutex: a caller waits for the promise of the key's current holder and then stores its own. Every
// caller that arrived while the first held the key awaits the same promise, all resume when it settles, and all set
// their own lock and run at once; the lock serialises nothing past the first holder.
export class KeyedMutex {
  private readonly held = new Map<string, Promise<void>>();
  async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const current = this.held.get(key);
    if (current) await current;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.held.set(key, mine);
    try {
      return await fn();
    } finally {
      release();
      if (this.held.get(key) === mine) this.held.delete(key);
    }
  }
}
// Correct: the new holder is chained behind the previous one and stored before any await, so each caller waits for
// the one before it.
export class ChainedKeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
