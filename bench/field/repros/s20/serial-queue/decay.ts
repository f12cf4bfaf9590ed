import { Repository } from "typeorm";

declare class Meter {
  id: number;
  last_decay_at: Date;
}

// One task at a time: a task is started only when the previous one settled (or timed out).
class TaskQueue {
  private running = false;
  private readonly tasks: Array<() => Promise<void>> = [];

  add(task: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.tasks.push(() => task().then(resolve, reject));
      if (!this.running) this.next();
    });
  }

  private next(): void {
    const task = this.tasks.shift();
    this.running = task !== undefined;
    if (!task) return;
    void Promise.race([task(), new Promise((r) => setTimeout(r, 10_000))]).then(() => this.next());
  }
}
const queue = new TaskQueue();

export class Meters {
  constructor(private readonly meters: Repository<Meter>) {}

  decay(id: number, periodMs: number) {
    return queue.add(async () => {
      const meter = await this.meters.findOne({ where: { id } });
      if (!meter || Date.now() - meter.last_decay_at.getTime() < periodMs) return;
      const next = new Date(meter.last_decay_at.getTime() + periodMs);
      await this.meters.update({ id }, { last_decay_at: next });
    });
  }
}
