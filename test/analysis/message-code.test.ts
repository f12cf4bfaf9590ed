// Inline code in messages (`code()`): plain text in one pair of backticks; text that holds backticks itself stays one
// code span: a template literal alone as it is, anything else fenced one backtick longer than its longest run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { code } from "../../server/src/analysis/ast";

test("plain text is wrapped in backticks", () => {
  assert.equal(code("prisma.job.update(…)"), "`prisma.job.update(…)`");
});

test("a template literal alone is its own code span", () => {
  assert.equal(code("`lock:${id}`"), "`lock:${id}`");
});

test("a call around a template literal is fenced with two backticks, padded", () => {
  assert.equal(code("keys.map((k) => `lock:${k}`)"), "`` keys.map((k) => `lock:${k}`) ``");
});

test("a double-backtick run inside gets a triple fence", () => {
  assert.equal(code("a``b"), "``` a``b ```");
});
