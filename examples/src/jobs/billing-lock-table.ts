// Billing runs on one worker at a time, with a lock table in PostgreSQL: the row in `job_locks` is the lock, `owner`
// says whose it is and `expires_at` when it lapses. An acquisition inserts the row and takes over one that has lapsed;
// a busy lock inserts nothing, silently, so the row count is the answer.
import { Pool } from "pg";

const pool = new Pool();

/** Inserts the row, or takes over one whose expiry has passed; inserts nothing while another owner holds it. */
const ACQUIRE = `INSERT INTO job_locks (name, owner, expires_at) VALUES ('billing', $1, now() + interval '5 minutes')
  ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
  WHERE job_locks.expires_at < now()`;
/** Deletes this owner's row only: after a takeover, the row is someone else's. */
const RELEASE = "DELETE FROM job_locks WHERE name = 'billing' AND owner = $1";

declare function sendInvoices(): Promise<void>;

/** ❌ The row count is never read: while another worker holds the lock, this one sends the invoices too. */
export async function billWithoutCheck(owner: string): Promise<void> {
  await pool.query(ACQUIRE, [owner]);
  try {
    await sendInvoices();
  } finally {
    await pool.query(RELEASE, [owner]);
  }
}

/** ❌ The release is skipped when sending fails: the next run waits for the row to lapse. */
export async function billReleasingAfter(owner: string): Promise<boolean> {
  const { rowCount } = await pool.query(ACQUIRE, [owner]);
  if (rowCount === 0) return false;
  await sendInvoices();
  await pool.query(RELEASE, [owner]);
  return true;
}

/** ✅ Goes on only when the row was inserted, and deletes its own row (by owner) in `finally`. */
export async function bill(owner: string): Promise<boolean> {
  const { rowCount } = await pool.query(ACQUIRE, [owner]);
  if (rowCount === 0) return false;
  try {
    await sendInvoices();
    return true;
  } finally {
    await pool.query(RELEASE, [owner]);
  }
}
