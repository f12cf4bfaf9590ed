import knex from "knex";
const db = knex({ client: "pg", connection: process.env.DATABASE_URL });
// Saving a session is one statement: a CTE updates the session row and, when it updated none, inserts it. Under READ
// COMMITTED two saves of a new session both update nothing and both insert: the primary key on sid rejects the second,
// and that request fails with a duplicate-key error.
export async function saveSession(sid: string, expires: Date, data: unknown) {
  await db.raw(
    `WITH incoming (sid, expires, data) AS (VALUES (?, ?::timestamptz, ?::json)),
     updated AS (
       UPDATE web_sessions s SET expires = i.expires, data = i.data FROM incoming i WHERE s.sid = i.sid RETURNING s.sid
     )
     INSERT INTO web_sessions (sid, expires, data)
     SELECT sid, expires, data FROM incoming WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.sid = incoming.sid)`,
    [sid, expires.toISOString(), JSON.stringify(data)],
  );
}
// Correct: INSERT … ON CONFLICT (sid) DO UPDATE writes the row whichever save comes first.
export async function saveSessionUpsert(sid: string, expires: Date, data: unknown) {
  await db("web_sessions")
    .insert({ sid, expires, data: JSON.stringify(data) })
    .onConflict("sid")
    .merge(["expires", "data"]);
}
