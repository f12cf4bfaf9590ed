import { Mutex } from "async-mutex";
declare const api: {
  openWatch(ids: string[]): Promise<string>;
  addToWatch(watchId: string, ids: string[]): Promise<void>;
};
export class WatchSubject {
  private readonly mutex = new Mutex();
  private watchId: string | undefined;
  // The subject waits for the mutex to be free, tests whether the watch is open, and only then takes the mutex to open
  // it: two adds that both waited see no watch, both queue an open, and the server gets two watches.
  async add(ids: string[]) {
    await this.mutex.waitForUnlock();
    if (!this.watchId) {
      await this.mutex.runExclusive(async () => {
        this.watchId = await api.openWatch(ids);
      });
    } else {
      const watchId = this.watchId;
      await this.mutex.runExclusive(() => api.addToWatch(watchId, ids));
    }
  }
  // Correct: the test and the action run inside one exclusive section.
  async addExclusive(ids: string[]) {
    await this.mutex.runExclusive(async () => {
      if (!this.watchId) this.watchId = await api.openWatch(ids);
      else await api.addToWatch(this.watchId, ids);
    });
  }
}
