// An extension host that loads each extension once: an extension already in the registry is reported loaded, a new
// one is registered and its hooks are installed, and the entry is taken out again only when installing fails. The
// entry stays when loading succeeds: it records what is loaded, it is not a lock held while loading.
import { readFile } from "node:fs/promises";

interface LoadedExtension {
  id: string;
  manifest: unknown;
  active: boolean;
}

export class ExtensionHost {
  private readonly loaded = new Map<string, LoadedExtension>();

  constructor(private readonly install: (ext: LoadedExtension) => Promise<void>) {}

  async load(id: string): Promise<boolean> {
    if (this.loaded.has(id)) return true;
    const manifest = JSON.parse(await readFile(`extensions/${id}/manifest.json`, "utf8"));
    const entry: LoadedExtension = { id, manifest, active: false };
    this.loaded.set(id, entry);
    try {
      await this.install(entry);
    } catch (error) {
      this.loaded.delete(id);
      console.error(`extension ${id} failed to install`, error);
      return false;
    }
    entry.active = true;
    return true;
  }
}
