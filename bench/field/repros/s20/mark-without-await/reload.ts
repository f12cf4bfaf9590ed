// Files that refuse hot reload stay in `refused` across runs; the walk over dependencies is synchronous.
declare function dependenciesOf(file: string, skip: Set<string>): Set<string>;

export class Reloader {
  private readonly refused = new Set<string>();
  private readonly changed = new Set<string>();

  async reloadChanged(loaded: Map<string, { sideEffect?: boolean }>): Promise<string[]> {
    const pending = new Map<string, { sideEffect?: boolean }>();
    for (const [file, plugin] of loaded) {
      if (this.refused.has(file)) continue;
      pending.set(file, plugin);
      if (!plugin.sideEffect) this.refused.add(file);
    }
    const reloads: string[] = [];
    for (const [file, plugin] of pending) {
      this.refused.delete(file);
      const deps = [...dependenciesOf(file, this.refused)];
      if (!plugin.sideEffect) this.refused.add(file);
      if (!deps.some((d) => this.changed.has(d))) continue;
      reloads.push(file);
    }
    await Promise.resolve();
    return reloads;
  }
}
