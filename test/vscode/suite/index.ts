// Runs inside VS Code's extension host (`npm run test:vscode`): the user scenarios against the workspace passed as a
// launch argument (a copy of test/e2e/fixtures/project). Polls for every expected state; never sleeps blindly.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function locksmithDiagnostics(uri: vscode.Uri, ruleId: string): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === "locksmith" && (typeof d.code === "object" ? d.code.value : d.code) === ruleId);
}

export async function run(): Promise<void> {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const transfer = vscode.Uri.file(path.join(root, "src", "transfer.ts"));
  const report = vscode.Uri.file(path.join(root, "src", "nightly-report.ts"));

  // Findings for an open file.
  const document = await vscode.workspace.openTextDocument(transfer);
  await vscode.window.showTextDocument(document);
  const [finding] = await poll(
    "the retry-without-backoff finding",
    () => locksmithDiagnostics(transfer, "retry-without-backoff").length === 1 && locksmithDiagnostics(transfer, "retry-without-backoff"),
  );

  // The quick fix vendors the runtime, changes the file and clears the finding.
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", transfer, finding!.range);
  const fix = actions.find((a) => a.isPreferred);
  assert.ok(fix?.edit, `a preferred fix among: ${actions.map((a) => a.title).join(", ")}`);
  assert.ok(await vscode.workspace.applyEdit(fix.edit));
  const runtimeFile = path.join(root, "src", "locksmith-runtime.ts");
  await poll("the vendored runtime on disk", () => fs.existsSync(runtimeFile) && fs.statSync(runtimeFile).size > 0);
  assert.match(document.getText(), /import \{ retry \} from "\.\/locksmith-runtime";/);
  await document.save();
  await poll("the finding to disappear", () => locksmithDiagnostics(transfer, "retry-without-backoff").length === 0);

  // Fix on save (editor.codeActionsOnSave: source.fixAll.locksmith).
  const reportDocument = await vscode.workspace.openTextDocument(report);
  const editor = await vscode.window.showTextDocument(reportDocument);
  await poll("the lock-without-expiry finding", () => locksmithDiagnostics(report, "lock-without-expiry").length === 1);
  await editor.edit((edit) => edit.insert(reportDocument.positionAt(reportDocument.getText().length), "\n"));
  await vscode.commands.executeCommand("workbench.action.files.save");
  await poll("PX added on save", () => /"PX", \d+/.test(fs.readFileSync(report.fsPath, "utf8")));
}
