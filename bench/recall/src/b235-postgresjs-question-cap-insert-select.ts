import postgres from "postgres";
const sql = postgres(process.env.DATABASE_URL!);
// A question is inserted only while its author has fewer than the session's cap, the count being a sub-select of the
// same INSERT. Under READ COMMITTED the sub-select does not see a concurrent insert not yet committed, so two
// submissions both count cap - 1 and both insert.
export async function submitQuestion(sessionId: number, authorId: string, body: string, cap: number) {
  const rows = await sql`
    INSERT INTO session_questions (session_id, author_id, body)
    SELECT ${sessionId}, ${authorId}, ${body}
    WHERE (SELECT COUNT(*) FROM session_questions WHERE session_id = ${sessionId} AND author_id = ${authorId}) < ${cap}
    RETURNING id`;
  return rows.length > 0;
}
// Correct: a transaction-level advisory lock on (session, author) serializes the count and the insert.
export async function submitQuestionLocked(sessionId: number, authorId: string, body: string, cap: number) {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${sessionId}, hashtext(${authorId}))`;
    const [{ n }] = await tx`
      SELECT COUNT(*)::int AS n FROM session_questions WHERE session_id = ${sessionId} AND author_id = ${authorId}`;
    if (n >= cap) return false;
    await tx`INSERT INTO session_questions (session_id, author_id, body) VALUES (${sessionId}, ${authorId}, ${body})`;
    return true;
  });
}
