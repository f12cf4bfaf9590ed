// FALSE shape (select-then-update), session 15 held-out check, maintainerr
// server/src/modules/rules/tasks/exclusion-corrector.service.ts:71.
// Rule that would make it silent: rows selected because a column is NULL, whose column is then set from an external
// service's answer for the row (not from anything read from the row), merge nothing read: every concurrent run writes
// the source's value, so no update can be lost.
import { Repository } from "typeorm";

interface Track {
  id: number;
  catalogId: string;
  genre: number | null;
}
interface Catalog {
  lookup(id: string): Promise<{ genre?: string } | undefined>;
}

export class GenreBackfill {
  constructor(
    private readonly tracks: Repository<Track>,
    private readonly catalog: Catalog,
  ) {}

  async run() {
    const missing = await this.tracks.createQueryBuilder("track").where("genre is null").getMany();
    for (const track of missing) {
      const info = await this.catalog.lookup(track.catalogId);
      track.genre = info?.genre === "jazz" ? 1 : info?.genre === "rock" ? 2 : null;
    }
    await this.tracks.save(missing);
  }
}
