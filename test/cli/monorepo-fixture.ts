// A monorepo whose lock-order cycle spans two packages: `post` (packages/a) holds `ledgerLock` and calls
// `recordAudit` (packages/b, imported by package name), which takes `auditLock`; `flushAudit` (packages/b) takes
// `auditLock` and then `ledgerLock` (imported from packages/a). Neither package has the cycle on its own.
import { tempProject } from "./helpers";

const TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", outDir: "dist", rootDir: "src" },
  include: ["src"],
});

// "types" names a build output that does not exist: imports must still reach the sources.
const packageJson = (name: string) => JSON.stringify({ name, version: "1.0.0", types: "dist/index.d.ts" });

export const MONOREPO_PACKAGES: Record<string, string> = {
  "packages/a/package.json": packageJson("@acme/a"),
  "packages/a/tsconfig.json": TSCONFIG,
  "packages/a/src/index.ts": `import { Mutex } from "async-mutex";
import { recordAudit } from "@acme/b";

export const ledgerLock = new Mutex();

export async function post(entry: string): Promise<void> {
  await ledgerLock.runExclusive(async () => {
    await recordAudit(\`posted \${entry}\`);
  });
}
`,
  "packages/b/package.json": packageJson("@acme/b"),
  "packages/b/tsconfig.json": TSCONFIG,
  "packages/b/src/index.ts": `import { Mutex } from "async-mutex";

export const auditLock = new Mutex();
const trail: string[] = [];

export async function recordAudit(line: string): Promise<void> {
  await auditLock.runExclusive(async () => {
    trail.push(line);
  });
}
`,
  "packages/b/src/flush.ts": `import { ledgerLock } from "@acme/a";
import { auditLock } from "./index";

export async function flushAudit(): Promise<void> {
  await auditLock.runExclusive(async () => {
    await ledgerLock.runExclusive(async () => {});
  });
}
`,
};

/** The ways a monorepo declares its packages. */
export const MONOREPO_LAYOUTS: Record<string, Record<string, string>> = {
  "npm workspaces": { "package.json": JSON.stringify({ name: "mono", private: true, workspaces: ["packages/*"] }) },
  "pnpm-workspace.yaml": { "package.json": JSON.stringify({ name: "mono" }), "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n" },
  "solution tsconfig": {
    "tsconfig.json": `{ "files": [], "references": [{ "path": "packages/a" }, { "path": "./packages/b/tsconfig.json" }] } // solution`,
    "package.json": JSON.stringify({ name: "mono", private: true, workspaces: { packages: ["packages/*"] } }),
  },
};

export function monorepo(layout = MONOREPO_LAYOUTS["npm workspaces"]!, extra: Record<string, string> = {}): string {
  return tempProject({ ...MONOREPO_PACKAGES, ...layout, ...extra });
}

/** Where the cycle is reported: `post`'s call and `flushAudit`'s inner acquisition (file → "line:column"). */
export const CYCLE_IN_A = { file: "packages/a/src/index.ts", at: "8:11" };
export const CYCLE_IN_B = { file: "packages/b/src/flush.ts", at: "6:11" };
