import { Driver, TypedValues } from "ydb-sdk";
const driver = new Driver({ endpoint: process.env.YDB_ENDPOINT!, database: process.env.YDB_DATABASE! });
// The day's search count is read, and the count plus one is written back by a separate UPSERT in its own autocommit
// query: two searches from one user both read 4 and both write 5, so the daily cap is passed by parallel requests.
export async function countDailySearch(userId: string, day: string, cap: number) {
  return driver.tableClient.withSession(async (session) => {
    const read = await session.executeQuery(
      `DECLARE $user AS Utf8; DECLARE $day AS Utf8;
       SELECT searches FROM daily_search_usage WHERE user_id = $user AND day = $day;`,
      { $user: TypedValues.utf8(userId), $day: TypedValues.utf8(day) },
    );
    const current = Number(read.resultSets[0]?.rows?.[0]?.items?.[0]?.uint32Value ?? 0);
    if (current >= cap) return false;
    await session.executeQuery(
      `DECLARE $user AS Utf8; DECLARE $day AS Utf8; DECLARE $next AS Uint32;
       UPSERT INTO daily_search_usage (user_id, day, searches) VALUES ($user, $day, $next);`,
      { $user: TypedValues.utf8(userId), $day: TypedValues.utf8(day), $next: TypedValues.uint32(current + 1) },
    );
    return true;
  });
}
