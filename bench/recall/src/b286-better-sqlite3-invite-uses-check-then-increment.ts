import Database from "better-sqlite3";
const db = new Database(process.env.DB_PATH ?? "workspace.db");
declare function hashPassword(password: string): Promise<string>;
interface InviteRow {
  id: number;
  use_count: number;
  max_uses: number | null;
  expires_at: number;
}
// Signing up with an invite reads it, checks its expiry and its use count against max_uses, hashes the password (an
// await), creates the user and only then counts the use. Two sign-ups with a single-use invite both pass the check
// before either counts: both accounts are created.
export async function signUpWithInvite(code: string, email: string, password: string) {
  const invite = db.prepare("SELECT id, use_count, max_uses, expires_at FROM invites WHERE code = ?").get(code) as InviteRow | undefined;
  if (!invite || invite.expires_at < Date.now()) throw new Error("invalid invite");
  if (invite.max_uses !== null && invite.use_count >= invite.max_uses) throw new Error("invite used up");
  const hash = await hashPassword(password);
  const user = db.prepare("INSERT INTO users (email, password_hash) VALUES (?, ?)").run(email, hash);
  db.prepare("UPDATE invites SET use_count = use_count + 1 WHERE id = ?").run(invite.id);
  return user.lastInsertRowid;
}
// Correct: the use is taken first by a guarded UPDATE, and only a sign-up whose UPDATE changed a row creates the user.
export async function signUpWithInviteGuarded(code: string, email: string, password: string) {
  const hash = await hashPassword(password);
  const signUp = db.transaction(() => {
    const taken = db
      .prepare(
        "UPDATE invites SET use_count = use_count + 1 WHERE code = ? AND expires_at >= ? AND (max_uses IS NULL OR use_count < max_uses)",
      )
      .run(code, Date.now());
    if (taken.changes !== 1) throw new Error("invalid or used-up invite");
    return db.prepare("INSERT INTO users (email, password_hash) VALUES (?, ?)").run(email, hash).lastInsertRowid;
  });
  return signUp.immediate();
}
