import knexFactory from "knex";
const db = knexFactory({ client: "pg", connection: process.env.DATABASE_URL });
// Linking an article to a tag appends it at the end of the tag's ordered list: the position is the highest position
// stored for the tag plus one. Two articles linked to the same tag at once read the same highest position and are
// both stored at it, so the tag's list has two entries in one place.
export async function linkArticleToTag(articleId: number, tagId: number) {
  const { top } = (await db("articles_tags_links").max("tag_position as top").where({ tag_id: tagId }).first()) as {
    top: number | null;
  };
  await db("articles_tags_links").insert({ article_id: articleId, tag_id: tagId, tag_position: (top ?? 0) + 1 });
}
