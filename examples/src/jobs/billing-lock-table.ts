// Billing runs on one worker at a time, with a lock table in PostgreSQL: the row in `job_locks` is the lock, `owner`
// says whose it is and `expires_at` when it lapses. An acquisition inserts the row and takes over one that has lapsed;
// a busy lock inserts nothing, silently, so the row count is the answer.
import { Pool } from "pg";

const pool = new Pool();

declare function sendInvoices(): Promise<void>;

/** ❌ The row count is never read: while another worker holds the lock, this one sends the invoices too. */
export async function billWithoutCheck(owner: string): Promise<void> {
  await pool.query(
    `INSERT INTO job_locks (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes')
     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
     WHERE job_locks.expires_at < now()`,
    [owner],
  );
  try {
    await sendInvoices();
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND owner = $1", [owner]);
  }
}

/** ❌ The release is skipped when sending fails: the next run waits for the row to lapse. */
export async function billReleasingAfter(owner: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO job_locks (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes')
     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
     WHERE job_locks.expires_at < now()`,
    [owner],
  );
  if (rowCount === 0) return false;
  await sendInvoices();
  await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND owner = $1", [owner]);
  return true;
}

/** ✅ Goes on only when the row was inserted, and deletes its own row (by owner) in `finally`. */
export async function bill(owner: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO job_locks (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes')
     ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
     WHERE job_locks.expires_at < now()`,
    [owner],
  );
  if (rowCount === 0) return false;
  try {
    await sendInvoices();
    return true;
  } finally {
    await pool.query("DELETE FROM job_locks WHERE name = 'billing' AND owner = $1", [owner]);
  }
}
