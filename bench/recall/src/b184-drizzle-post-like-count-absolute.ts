import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { Pool } from "pg";
const posts = pgTable("posts", {
  id: text("id").primaryKey(),
  noLikes: integer("no_likes").notNull(),
  ranking: integer("ranking").notNull(),
  createdAt: timestamp("created_at").notNull(),
});
const likes = pgTable("likes", {
  postId: text("post_id").notNull(),
  userId: text("user_id").notNull(),
  value: integer("value").notNull(),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
declare function rank(noLikes: number, createdAt: Date): number;
// The post is read before the transaction; inside it the like is inserted and the post's like count written as the
// count read plus the like's value: two users liking one post together both read N and both write N + 1.
export async function createLike(userId: string, postId: string, value: 1 | -1) {
  const [post] = await db.select().from(posts).where(eq(posts.id, postId));
  if (!post) return null;
  return db.transaction(async (tx) => {
    const [like] = await tx.insert(likes).values({ postId, userId, value }).returning();
    const noLikes = post.noLikes + like.value;
    await tx
      .update(posts)
      .set({ noLikes, ranking: rank(noLikes, post.createdAt) })
      .where(eq(posts.id, post.id));
    return like;
  });
}
// Correct: the post is read inside the transaction with FOR UPDATE, so a second like waits for the first to commit
// and then reads the raised count.
export async function createLikeLocked(userId: string, postId: string, value: 1 | -1) {
  return db.transaction(async (tx) => {
    const [post] = await tx.select().from(posts).where(eq(posts.id, postId)).for("update");
    if (!post) return null;
    const [like] = await tx.insert(likes).values({ postId, userId, value }).returning();
    const noLikes = post.noLikes + like.value;
    await tx
      .update(posts)
      .set({ noLikes, ranking: rank(noLikes, post.createdAt) })
      .where(eq(posts.id, post.id));
    return like;
  });
}
