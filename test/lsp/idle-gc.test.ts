// The language server runs a full garbage collection after the workspace analysis (see idle-gc.ts). Node is not
// started with --expose-gc, so `collectGarbage` turns the flag on and reads `gc` from a new context: checked here to
// work on this Node (it returns true and the garbage is gone) without leaving `gc` on the main context's globalThis.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { collectGarbage } from "../../server/src/lsp/idle-gc";

const MB = 1024 * 1024;

/** About 50 MB of small objects, reachable until this returns (so they are in the old generation, not yet collected). */
function allocateGarbage(): void {
  const chunks: Array<Array<{ id: number; name: string; next: unknown }>> = [];
  for (let c = 0; c < 10; c++) {
    const chunk: Array<{ id: number; name: string; next: unknown }> = [];
    for (let i = 0; i < 50_000; i++) chunk.push({ id: i, name: `item-${c}-${i}`, next: chunk[i - 1] });
    chunks.push(chunk);
  }
  assert.equal(chunks.length, 10);
}

describe("collectGarbage", () => {
  test("runs a full collection on this Node (twice), and leaves globalThis.gc as it was", (t) => {
    const gcBefore = typeof (globalThis as { gc?: unknown }).gc;
    for (const round of [1, 2]) {
      allocateGarbage();
      const before = process.memoryUsage().heapUsed;
      assert.equal(collectGarbage(), true, `round ${round}: collectGarbage() could not collect`);
      const after = process.memoryUsage().heapUsed;
      t.diagnostic(`round ${round}: heapUsed ${(before / MB).toFixed(1)} MB -> ${(after / MB).toFixed(1)} MB`);
      assert.ok(
        before - after >= 25 * MB,
        `round ${round}: heapUsed went from ${(before / MB).toFixed(1)} MB to ${(after / MB).toFixed(1)} MB`,
      );
    }
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, gcBefore);
  });
});
