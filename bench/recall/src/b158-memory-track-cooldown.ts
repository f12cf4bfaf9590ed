const lastWrite = new Map<string, number>();
const COOLDOWN_MS = 60_000;
function coolingDown(name: string): boolean {
  const at = lastWrite.get(name);
  return at !== undefined && Date.now() - at < COOLDOWN_MS;
}
function recordWrite(name: string): void {
  lastWrite.set(name, Date.now());
}
declare function githubUserExists(name: string): Promise<boolean>;
declare function connectDb(): Promise<void>;
declare const TrackedUser: { updateOne(filter: object, update: object, options: object): Promise<unknown> };
// The cooldown is tested, then the name is checked against GitHub and written to the database, and only then is the
// write recorded: concurrent requests for one name all pass the test, and each calls GitHub and writes.
export async function POST(req: Request) {
  const { username } = (await req.json()) as { username: string };
  if (coolingDown(username)) return Response.json({ skipped: true }, { status: 429 });
  if (!(await githubUserExists(username))) return Response.json({ error: "unknown user" }, { status: 404 });
  await connectDb();
  await TrackedUser.updateOne({ username }, { $set: { lastSeen: new Date() } }, { upsert: true });
  recordWrite(username);
  return Response.json({ tracked: true });
}
