import knex from "knex";
const db = knex({ client: "pg", connection: process.env.DATABASE_URL });
// The counting channel accepts a message when its number is one more than the last one counted, then stores it as the
// last number. Two members posting the same next number a moment apart both read the old last number, both are
// accepted, and the same number is counted twice.
export async function countMessage(channelId: string, userId: string, value: number): Promise<boolean> {
  const game = await db("counting_games").where({ channel_id: channelId }).first();
  if (!game) return false;
  if (value !== game.last_number + 1 || userId === game.last_user_id) return false;
  await db("counting_games").where({ channel_id: channelId }).update({ last_number: value, last_user_id: userId });
  return true;
}
// Correct: the update only succeeds while the last number is still the one this message follows, and its row count
// decides.
export async function countMessageConditional(channelId: string, userId: string, value: number): Promise<boolean> {
  const updated = await db("counting_games")
    .where({ channel_id: channelId, last_number: value - 1 })
    .whereNot({ last_user_id: userId })
    .update({ last_number: value, last_user_id: userId });
  return updated === 1;
}
