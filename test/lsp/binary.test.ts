// The real `locksmith-language-server --stdio` binary, as an editor starts it, on the repository's examples: it must
// publish exactly what `locksmith lint` reports (one engine), with links to the rules' docs, and shut down cleanly.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Diagnostic } from "vscode-languageserver/node";
import { main } from "../../server/src/cli/main";
import { docsUrl } from "../../rules/index";
import type { LockOrderGraphResult } from "../../server/src/lsp/protocol";
import { REPO_ROOT, startBinary, uri, type Client } from "./harness";

const EXAMPLES = path.join(REPO_ROOT, "examples");

interface CliMessage {
  ruleId: string;
  severity: number;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

async function cliReport(): Promise<Array<{ filePath: string; messages: CliMessage[] }>> {
  let out = "";
  await main(["lint", "-f", "json"], { cwd: EXAMPLES, stdout: (t) => void (out += t), stderr: () => undefined, isTTY: false });
  return JSON.parse(out);
}

describe("locksmith-language-server --stdio", () => {
  let client: Client | undefined;
  after(() => client?.dispose());

  test("publishes what the CLI reports for the examples, then shuts down and exits with 0", async () => {
    client = startBinary();
    await client.initialize(EXAMPLES);
    await client.waitFor("the workspace analysis", () => client!.statuses.some((s) => !s.busy), 60000);
    const report = await cliReport();
    assert.ok(
      report.some((r) => r.messages.length > 0),
      "the examples have findings",
    );
    for (const { filePath, messages } of report) {
      const published: Diagnostic[] = client.diagnostics.get(uri(filePath)) ?? [];
      assert.deepEqual(
        published.map((d) => ({
          ruleId: d.code,
          severity: d.severity === 1 ? 2 : 1,
          message: d.message,
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
          endLine: d.range.end.line + 1,
          endColumn: d.range.end.character + 1,
        })),
        messages.map(({ ruleId, severity, message, line, column, endLine, endColumn }) => ({
          ruleId,
          severity,
          message,
          line,
          column,
          endLine,
          endColumn,
        })),
        `diagnostics of ${path.relative(EXAMPLES, filePath)}`,
      );
      for (const diagnostic of published) {
        assert.equal(diagnostic.source, "locksmith");
        assert.equal(diagnostic.codeDescription?.href, docsUrl(String(diagnostic.code)));
      }
    }

    // Editing a file with findings into clean code clears them, as you type.
    const withFindings = report.find((r) => r.messages.some((m) => m.ruleId !== "inconsistent-lock-order"));
    if (withFindings) {
      await client.open(withFindings.filePath, fs.readFileSync(withFindings.filePath, "utf8"));
      await client.change(withFindings.filePath, "export const nothingToSee = 1;\n");
      await client.waitForDiagnostics(withFindings.filePath, (d) => d.length === 0);
    }

    // The lock-order graph of the bank example: the ledger/audit cycle the rule reports.
    const graph: LockOrderGraphResult = await client.connection.sendRequest("locksmith/lockOrderGraph", {
      uri: uri(path.join(EXAMPLES, "src", "bank", "audit.ts")),
    });
    assert.deepEqual(
      graph.projects.map((p) => p.project),
      [path.join(EXAMPLES, "tsconfig.json")],
    );
    const { nodes, cycles } = graph.projects[0]!.graph;
    const labelOf = (id: string) => nodes.find((n) => n.id === id)?.label;
    assert.ok(
      cycles.some((c) => [...c.nodes].map(labelOf).sort().join() === "auditLock,ledgerLock"),
      JSON.stringify(cycles.map((c) => c.nodes.map(labelOf))),
    );

    // Hover on a call of the app's own lock helper says what Locksmith believes it does, and why.
    const fulfilment = path.join(EXAMPLES, "src", "orders", "fulfilment.ts");
    const lineOf = (text: string) =>
      fs
        .readFileSync(fulfilment, "utf8")
        .split("\n")
        .findIndex((l) => l.includes(text));
    const leaseLine = lineOf("await leases.withLease(orderId");
    const hover: { contents: { kind: string; value: string } } = await client.connection.sendRequest("textDocument/hover", {
      textDocument: { uri: uri(fulfilment) },
      position: { line: leaseLine, character: 20 },
    });
    assert.equal(hover.contents.kind, "markdown");
    assert.equal(
      hover.contents.value,
      [
        "**Locksmith**: `RedisLeases.withLease` runs its callback (argument 2) while holding Redis lock `lease:${key}` (a lease that expires), keyed by argument 1.",
        "",
        "Here: the lock `leases.withLease` takes for `orderId`. Why: inferred from its call of RedisLeases.acquire at src/locking/locks.ts:38. If this is wrong, declare the helper in `locksmith.json` (`locks`) or with a `@locksmith` JSDoc tag.",
      ].join("\n"),
    );
    // Not on a helper call: nothing.
    assert.equal(
      await client.connection.sendRequest("textDocument/hover", {
        textDocument: { uri: uri(fulfilment) },
        position: { line: 0, character: 3 },
      }),
      null,
    );

    assert.equal(await client.connection.sendRequest("shutdown"), null);
    const exited = once(client.child!, "exit");
    await client.connection.sendNotification("exit");
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
