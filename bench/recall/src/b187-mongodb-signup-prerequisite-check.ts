import { MongoClient } from "mongodb";
const client = new MongoClient(process.env.MONGODB_URI!);
const accounts = client.db("app").collection<{ username: string; email: string; passwordHash: string }>("accounts");
declare function hashPassword(plain: string): Promise<string>;
class ConflictError extends Error {}
// Route prerequisites: each looks the value up and rejects the sign-up when an account already has it.
async function assertUsernameFree(username: string) {
  const account = await accounts.findOne({ username: username.toLowerCase() });
  if (account) throw new ConflictError("Username already in use.");
}
async function assertEmailFree(email: string) {
  const account = await accounts.findOne({ email: email.toLowerCase() });
  if (account) throw new ConflictError("Email already in use.");
}
// The sign-up handler runs after the prerequisites and inserts the account: two sign-ups with one username that arrive
// together both pass the lookups and both insert, leaving two accounts with the same name.
export async function signUp(username: string, email: string, password: string) {
  await assertUsernameFree(username);
  await assertEmailFree(email);
  const passwordHash = await hashPassword(password);
  const { insertedId } = await accounts.insertOne({
    username: username.toLowerCase(),
    email: email.toLowerCase(),
    passwordHash,
  });
  return insertedId;
}
// Correct: unique indexes decide, and the insert's duplicate-key error is the "already in use" answer.
export async function signUpUnique(username: string, email: string, password: string) {
  await accounts.createIndex({ username: 1 }, { unique: true });
  await accounts.createIndex({ email: 1 }, { unique: true });
  const passwordHash = await hashPassword(password);
  try {
    const { insertedId } = await accounts.insertOne({
      username: username.toLowerCase(),
      email: email.toLowerCase(),
      passwordHash,
    });
    return insertedId;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) throw new ConflictError("Username or email already in use.");
    throw err;
  }
}
