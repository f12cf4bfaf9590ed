// FALSE shape (select-then-update), session 16 held-out check, evolution-api
// src/api/integrations/chatbot/chatwoot/services/chatwoot.service.ts:397.
// Rule that would make it silent: `INSERT … VALUES (…, $n) ON CONFLICT … DO UPDATE SET c = t.c + 1` increments in SQL
// whenever the row exists; the value computed from the earlier read is inserted only when no row exists, and a
// concurrent first insert sends the other statement into the atomic increment, so no count is lost.
import { Pool } from "pg";

const pool = new Pool();

export async function bumpLabelUsage(label: string) {
  const found = (await pool.query("SELECT id, uses FROM labels WHERE name = $1 LIMIT 1", [label])).rows[0];
  const uses = found?.uses || 0;
  const saved = await pool.query(
    `INSERT INTO labels (name, uses) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET uses = labels.uses + 1
     RETURNING id`,
    [label, uses + 1],
  );
  return saved.rows[0]?.id;
}
