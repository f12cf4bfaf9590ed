import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import Database from "better-sqlite3";
const stories = sqliteTable("stories", { id: text("id").primaryKey(), meta: text("meta").notNull() });
const db = drizzle(new Database(process.env.DB_FILE!));
declare function streamReply(storyId: string, prompt: string): Promise<{ countdowns: Record<string, number> }>;
// The story's metadata (one JSON column) is parsed before the reply streams, the stream runs for seconds, and then the
// whole parsed object is written back with one key changed: a game start or settings change that wrote the metadata
// during the stream is erased.
export async function generate(storyId: string, prompt: string) {
  const [story] = await db.select().from(stories).where(eq(stories.id, storyId));
  if (!story) throw new Error("story not found");
  const meta = JSON.parse(story.meta) as Record<string, unknown>;
  const assembled = await streamReply(storyId, prompt);
  meta.countdowns = assembled.countdowns;
  await db
    .update(stories)
    .set({ meta: JSON.stringify(meta) })
    .where(eq(stories.id, storyId));
}
