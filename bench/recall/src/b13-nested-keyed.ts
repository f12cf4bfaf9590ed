import { Mutex } from "async-mutex";
const locks = new Map<string, Mutex>();
function lockFor(key: string): Mutex {
  let m = locks.get(key);
  if (!m) { m = new Mutex(); locks.set(key, m); }
  return m;
}
declare function copy(from: string, to: string): Promise<void>;
export async function writeFile(path: string, body: () => Promise<void>) {
  return lockFor(path).runExclusive(body);
}
export async function moveFile(from: string, to: string) {
  return lockFor(from).runExclusive(async () => {
    await writeFile(to, () => copy(from, to));
  });
}
