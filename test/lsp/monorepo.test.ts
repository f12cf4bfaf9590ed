// The editor on a monorepo: the packages' tsconfigs are one project, so a lock-order cycle across packages shows in
// the file that closes it in each package, linked to the rule's published documentation.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { docsUrl } from "../../rules/index";
import { CYCLE_IN_A, CYCLE_IN_B, monorepo } from "../cli/monorepo-fixture";
import { startInProcess, type Client } from "./harness";

let client: Client | undefined;
after(() => client?.dispose());

test("a lock-order cycle across two packages of a monorepo is reported in both packages' files", async () => {
  const root = monorepo();
  client = startInProcess();
  await client.initialize(root);
  const fileA = path.join(root, CYCLE_IN_A.file);
  await client.open(fileA);
  const cycle = (diagnostics: { code?: unknown }[]) => diagnostics.some((d) => d.code === "inconsistent-lock-order");
  const inA = await client.waitForDiagnostics(fileA, cycle);
  const positionOf = (at: string) => {
    const [line, column] = at.split(":").map(Number);
    return { line: line! - 1, character: column! - 1 };
  };
  const found = inA.find((d) => d.code === "inconsistent-lock-order")!;
  assert.deepEqual(found.range.start, positionOf(CYCLE_IN_A.at));
  assert.equal(found.codeDescription?.href, "https://github.com/locksmith-lint/locksmith/blob/main/rules/docs/inconsistent-lock-order.md");
  assert.equal(found.codeDescription?.href, docsUrl("inconsistent-lock-order"));
  const fileB = path.join(root, CYCLE_IN_B.file);
  await client.open(fileB);
  const inB = await client.waitForDiagnostics(fileB, cycle);
  assert.deepEqual(inB.find((d) => d.code === "inconsistent-lock-order")!.range.start, positionOf(CYCLE_IN_B.at));
});
