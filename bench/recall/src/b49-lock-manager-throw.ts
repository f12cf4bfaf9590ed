type Granted = { name: string; release(): void };
export class LockManager {
  private queues = new Map<string, Array<() => void>>();
  private held = new Set<string>();
  private acquire(name: string): Promise<Granted> {
    return new Promise((resolve) => {
      const grant = () => {
        this.held.add(name);
        resolve({ name, release: () => this.release(name) });
      };
      if (!this.held.has(name)) grant();
      else this.queues.set(name, [...(this.queues.get(name) ?? []), grant]);
    });
  }
  private release(name: string) {
    this.held.delete(name);
    const next = this.queues.get(name)?.shift();
    if (next) next();
  }
  async request<T>(name: string, callback: (lock: Granted) => Promise<T>): Promise<T> {
    const lock = await this.acquire(name);
    const result = await callback(lock);
    lock.release();
    return result;
  }
}
