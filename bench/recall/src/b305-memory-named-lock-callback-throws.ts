// A navigator.locks-style lock manager for Node: request(name, callback) runs the callback while holding the named
// lock and lets the next waiter in afterwards.
export class NamedLockManager {
  private readonly held = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private wait(name: string) {
    return new Promise<void>((resolve) => {
      const queue = this.waiters.get(name) ?? [];
      queue.push(resolve);
      this.waiters.set(name, queue);
    });
  }
  private wakeNext(name: string) {
    const next = this.waiters.get(name)?.shift();
    if (next) next();
  }
  // The name is freed only when the callback resolves: a callback that rejects leaves the name held, and every later
  // request for it waits forever.
  async request<T>(name: string, callback: () => Promise<T>): Promise<T> {
    while (this.held.has(name)) await this.wait(name);
    this.held.add(name);
    const result = await callback();
    this.held.delete(name);
    this.wakeNext(name);
    return result;
  }
  // Correct: the name is freed and the next waiter woken in a finally.
  async requestSafely<T>(name: string, callback: () => Promise<T>): Promise<T> {
    while (this.held.has(name)) await this.wait(name);
    this.held.add(name);
    try {
      return await callback();
    } finally {
      this.held.delete(name);
      this.wakeNext(name);
    }
  }
}
