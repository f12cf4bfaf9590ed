import { getRepository } from "typeorm";

declare class PlaybackEntry {
  id?: number;
  owner: string;
  episode: string;
  position: number;
  reorderedAt?: Date;
}

// The raw query selects id and position only: `reorderedAt` is never read, so it is always set to now.
export async function savePosition(owner: string, episode: string, position: number): Promise<void> {
  const repository = getRepository(PlaybackEntry);
  let entry = await repository
    .createQueryBuilder("entry")
    .select("entry.id", "id")
    .addSelect("entry.position", "position")
    .where("entry.owner = :owner", { owner })
    .andWhere("entry.episode = :episode", { episode })
    .getRawOne();
  entry = entry ? entry : new PlaybackEntry();
  entry.position = position;
  entry.owner = owner;
  entry.episode = episode;
  entry.reorderedAt = !entry.reorderedAt ? new Date() : entry.reorderedAt;
  await repository.save(entry);
}
