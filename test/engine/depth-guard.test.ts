// deeperThan (the guard that turns a file nested too deeply to analyse into a placeholder) must say "deeper" exactly
// when some node lies more than `limit` levels below the root, as a plain recursion measuring every node's depth does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deeperThan } from "../../server/src/engine/project";
import { ts } from "../../server/src/engine/ts";

/** The depth of the deepest node (the root is at depth 0). */
function depthOf(root: ts.Node): number {
  let deepest = 0;
  const visit = (node: ts.Node, depth: number): void => {
    deepest = Math.max(deepest, depth);
    ts.forEachChild(node, (child) => visit(child, depth + 1));
  };
  visit(root, 0);
  return deepest;
}

test("deeperThan is true exactly when the deepest node lies more than limit levels below the root", () => {
  const shapes = [
    (n: number) => "(".repeat(n) + "x" + ")".repeat(n),
    (n: number) => "[".repeat(n) + "]".repeat(n),
    (n: number) => "f(".repeat(n) + ")".repeat(n),
  ];
  for (const shape of shapes)
    for (const nesting of [0, 1, 2, 7, 40]) {
      const sourceFile = ts.createSourceFile("a.ts", `const v = ${shape(nesting)};`, ts.ScriptTarget.ES2022, true);
      const depth = depthOf(sourceFile);
      for (const limit of [0, 1, depth - 1, depth, depth + 1, 1000].filter((l) => l >= 0))
        assert.equal(deeperThan(sourceFile, limit), depth > limit, `${JSON.stringify(shape(nesting))}, limit ${limit}`);
    }
});
