// Helpers to run lock-worker.js processes and check their recorded critical sections.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import assert from "node:assert/strict";
import type { Pool } from "pg";

const worker = path.join(__dirname, "lock-worker.js");

export function spawnWorker(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [worker, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

/** Resolve with the first stdout line matching `pattern`. */
export function lineFrom(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.on("exit", (code) => reject(new Error(`worker exited (${code}) before printing ${pattern}`)));
  });
}

export interface Section {
  fence: string;
  started: string;
  ended: string;
  worker: number;
}

/**
 * Run `processes` workers taking `key` `iterations` times each; assert no overlap and strictly increasing fences.
 * Returns the recorded sections in start order (`started`/`ended`: `process.hrtime.bigint()` values).
 */
export async function assertMutualExclusion(
  recorder: Pool,
  backend: string,
  key: string,
  table: string,
  prefix: string,
  processes = 4,
  iterations = 8,
  env: Record<string, string> = {},
): Promise<Section[]> {
  await recorder.query(`CREATE TABLE ${table} (fence bigint NOT NULL, started bigint NOT NULL, ended bigint NOT NULL, worker int NOT NULL)`);
  try {
    const children = Array.from({ length: processes }, () => spawnWorker([backend, "exclusion", key, String(iterations), table, prefix], env));
    const exits = await Promise.all(children.map(exitOf));
    for (const e of exits) assert.equal(e.code, 0, `worker failed: ${e.stderr}`);
    const { rows } = await recorder.query<Section>(`SELECT fence::text AS fence, started::text AS started, ended::text AS ended, worker FROM ${table} ORDER BY started`);
    assert.equal(rows.length, processes * iterations, "every critical section was recorded");
    assert.ok(new Set(rows.map((r) => r.worker)).size === processes);
    for (let i = 1; i < rows.length; i++) {
      const prev = rows[i - 1]!;
      const cur = rows[i]!;
      assert.ok(BigInt(cur.started) >= BigInt(prev.ended), `critical sections overlap: ${JSON.stringify(prev)} and ${JSON.stringify(cur)}`);
      assert.ok(BigInt(cur.fence) > BigInt(prev.fence), `fences not strictly increasing: ${prev.fence} then ${cur.fence}`);
    }
    return rows;
  } finally {
    await recorder.query(`DROP TABLE IF EXISTS ${table}`);
    await recorder.query(`DROP TABLE IF EXISTS ${table}_fences`);
  }
}
