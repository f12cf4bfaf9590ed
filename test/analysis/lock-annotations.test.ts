// `@locksmith` tags (server/src/analysis/lock-annotations.ts) declaring a row-lock helper: which parameter is the
// transaction, which the row's key, which table; and the problem reported for a tag that says too little.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ts } from "../../server/src/engine/ts";
import { lockAnnotationOf } from "../../server/src/analysis/lock-annotations";
import type { FunctionLike } from "../../server/src/analysis/ast";

/** The annotation of `lockAccount(tx, accountId)` tagged `@locksmith <tag>`. */
function annotationOf(tag: string) {
  const text = `/** @locksmith ${tag} */\nexport async function lockAccount(tx: unknown, accountId: string) {}\n`;
  const sourceFile = ts.createSourceFile("/src/locks.ts", text, ts.ScriptTarget.Latest, true);
  return lockAnnotationOf(sourceFile.statements[0] as FunctionLike);
}

test("acquires row-lock: the transaction and key parameters by index, the table as written", () => {
  assert.deepEqual(annotationOf("acquires row-lock transaction=tx key=accountId table=Account"), {
    verb: "declares",
    declaration: { function: "lockAccount", kind: "row-lock", acquires: "blocking", transaction: 0, key: 1, table: "Account" },
  });
  assert.deepEqual(annotationOf("acquires row-lock transaction=tx table=Account"), {
    verb: "declares",
    declaration: { function: "lockAccount", kind: "row-lock", acquires: "blocking", transaction: 0, table: "Account" },
  });
});

test("a row-lock tag that names no transaction, no rows, or the wrong verb is a problem, never a guess", () => {
  const problem = (tag: string) => {
    const annotation = annotationOf(tag);
    return annotation?.verb === "invalid" ? annotation.problem : annotation;
  };
  assert.equal(
    problem("acquires row-lock key=accountId table=Account"),
    "@locksmith acquires row-lock key=accountId table=Account: a row-lock needs transaction=<parameter>",
  );
  assert.equal(
    problem("acquires row-lock transaction=tx"),
    "@locksmith acquires row-lock transaction=tx: a row-lock needs table=<table>, key=<parameter> or both",
  );
  assert.equal(
    problem("try-acquires row-lock transaction=tx table=Account"),
    "@locksmith try-acquires row-lock transaction=tx table=Account: a row-lock is declared with `acquires` (it is held until the transaction ends)",
  );
  assert.equal(
    problem("acquires row-lock transaction=trx table=Account"),
    "@locksmith acquires row-lock transaction=trx table=Account: transaction=trx names no parameter of lockAccount",
  );
  assert.equal(
    problem("acquires mutex key=accountId table=Account releasedBy=unlock"),
    "@locksmith acquires mutex key=accountId table=Account releasedBy=unlock: transaction= and table= are only for row-lock",
  );
});
