import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const articles = pgTable("articles", { slug: text("slug").primaryKey(), likes: integer("likes").notNull() });
const articleLikes = pgTable(
  "article_likes",
  { slug: text("slug").notNull(), visitor: text("visitor").notNull(), likeCount: integer("like_count").notNull() },
  (t) => [primaryKey({ columns: [t.slug, t.visitor] })],
);
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
const MAX_LIKES_PER_VISITOR = 3;
// A visitor may like an article three times: their count is read and tested against the cap, then raised by an upsert
// in the same transaction. The read takes no lock, so three clicks at a count of two all pass the test and the
// visitor ends at five.
export async function likeArticle(slug: string, visitor: string, value: number) {
  return db.transaction(async (tx) => {
    const [mine] = await tx
      .select()
      .from(articleLikes)
      .where(and(eq(articleLikes.slug, slug), eq(articleLikes.visitor, visitor)));
    if (mine && mine.likeCount + value > MAX_LIKES_PER_VISITOR) {
      throw new Error(`You can like an article at most ${MAX_LIKES_PER_VISITOR} times`);
    }
    const [row] = await tx
      .insert(articleLikes)
      .values({ slug, visitor, likeCount: value })
      .onConflictDoUpdate({
        target: [articleLikes.slug, articleLikes.visitor],
        set: { likeCount: sql`${articleLikes.likeCount} + ${value}` },
      })
      .returning();
    const [article] = await tx
      .update(articles)
      .set({ likes: sql`${articles.likes} + ${value}` })
      .where(eq(articles.slug, slug))
      .returning();
    return { likes: article.likes, mine: row.likeCount };
  });
}
// Correct: the upsert raises the count first (it locks the row), and the cap is tested on the count it returns; going
// over throws and rolls the transaction back.
export async function likeArticleCapped(slug: string, visitor: string, value: number) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(articleLikes)
      .values({ slug, visitor, likeCount: value })
      .onConflictDoUpdate({
        target: [articleLikes.slug, articleLikes.visitor],
        set: { likeCount: sql`${articleLikes.likeCount} + ${value}` },
      })
      .returning();
    if (row.likeCount > MAX_LIKES_PER_VISITOR) {
      throw new Error(`You can like an article at most ${MAX_LIKES_PER_VISITOR} times`);
    }
    const [article] = await tx
      .update(articles)
      .set({ likes: sql`${articles.likes} + ${value}` })
      .where(eq(articles.slug, slug))
      .returning();
    return { likes: article.likes, mine: row.likeCount };
  });
}
