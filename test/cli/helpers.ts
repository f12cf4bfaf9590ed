// What the CLI tests share: running `main` in-process with its output captured, and a project in a temporary folder.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, type CliIo } from "../../server/src/cli/main";

export async function runCli(args: string[], cwd: string, isTTY = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTTY };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** A folder under the system's temporary folder (its real path) holding `files` (relative path → text). */
export function tempProject(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-cli-")));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** A mutex released after an await, without `finally`: one lock-release-not-guaranteed finding. */
export const LEAKY = `import { Mutex } from "async-mutex";
const mutex = new Mutex();
declare function charge(): Promise<void>;
export async function pay() {
  const release = await mutex.acquire();
  await charge();
  release();
}
`;
