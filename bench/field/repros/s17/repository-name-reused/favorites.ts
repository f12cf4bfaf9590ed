// FALSE shape (write-skew), session 17 held-out check, daily-api src/schema/bookmarks.ts:534 (entity
// src/entity/Bookmark.ts, whose two @PrimaryColumn fields make the key (postId, userId)).
// The gap: `repo` here is resolved to the `repo` of another function in the same file (renameShelf's Shelf
// repository, keyed by id alone), so the unique-key lookup sees no key over (memberId, articleId). Renaming the first
// one (`const shelves = …`) makes the same code silent on e7f8945. Rule that would make it silent: a local name is
// resolved within its own function; then Favorite's composite primary key covers the lookup and the second insert
// fails on it.
import { DataSource } from "typeorm";
import { Favorite, Shelf } from "./entities";

export async function renameShelf(db: DataSource, memberId: string, id: string, title: string) {
  const repo = db.getRepository(Shelf);
  await repo.findOneByOrFail({ memberId, id });
  return await repo.save({ memberId, id, title });
}

export async function setFavoriteReminder(db: DataSource, memberId: string, articleId: string, remindAt: Date) {
  await db.transaction(async (manager) => {
    const repo = manager.getRepository(Favorite);
    const favorite = await repo.findOneBy({ memberId, articleId });
    if (!favorite) {
      return repo.insert({ memberId, articleId, remindAt });
    }
    return repo.update({ memberId, articleId }, { remindAt });
  });
}
