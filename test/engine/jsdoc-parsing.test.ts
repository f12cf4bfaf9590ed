// TypeScript files are parsed without their JSDoc unless their text has Locksmith's tag (the only JSDoc a rule
// reads), as `tsc` parses them: the tag is read wherever it is written, also when a buffer gains or loses it through
// an incremental parse, and a file without it has no JSDoc nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_COMPILER_OPTIONS, ProjectHost } from "../../server/src/engine/project";
import { lockAnnotationOf } from "../../server/src/analysis/lock-annotations";
import { ts } from "../../server/src/engine/ts";

const FILE = "/virtual/jsdoc/src/locks.ts";
const BODY = "export function take(key: string): void {}\n";
const TAGGED = `/** @locksmith acquires lease key=key */\n${BODY}`;
const DEPRECATED = `/** @deprecated use take */\n${BODY}`;

function functionIn(host: ProjectHost): ts.FunctionDeclaration {
  const sourceFile = host.getProgram().getSourceFile(FILE)!;
  return sourceFile.statements.find(ts.isFunctionDeclaration)!;
}

const tagsOf = (fn: ts.FunctionDeclaration) => ts.getJSDocTags(fn).map((tag) => tag.tagName.text);

test("a file with the @locksmith tag has its JSDoc parsed; one without has none (as tsc parses it)", () => {
  const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, [FILE]);
  host.setFileText(FILE, TAGGED);
  assert.deepEqual(tagsOf(functionIn(host)), ["locksmith"]);
  assert.equal(lockAnnotationOf(functionIn(host))?.verb, "declares");
  host.setFileText(FILE, DEPRECATED);
  assert.deepEqual(tagsOf(functionIn(host)), []);
});

test("a buffer that gains or loses the tag through an incremental parse is parsed anew: the tag is read exactly when written", () => {
  const host = new ProjectHost(DEFAULT_COMPILER_OPTIONS, [FILE]);
  host.incrementalParsing = true;
  host.setFileText(FILE, DEPRECATED);
  assert.deepEqual(tagsOf(functionIn(host)), []);
  // Typed over the comment: an edit of a few characters that an incremental parse would reuse the function for.
  host.setFileText(FILE, DEPRECATED.replace("@deprecated use take", "@locksmith acquires lease key=key"));
  const tagged = functionIn(host);
  assert.deepEqual(tagsOf(tagged), ["locksmith"]);
  assert.equal(lockAnnotationOf(tagged)?.verb, "declares");
  host.setFileText(FILE, TAGGED.replace("@locksmith", "@deprecated"));
  const untagged = functionIn(host);
  assert.deepEqual(tagsOf(untagged), []);
  assert.equal(lockAnnotationOf(untagged), undefined);
});
