// The VS Code extension: starts the Locksmith language server with VS Code's own Node, forwards settings (the
// language client answers the server's `workspace/configuration` requests), shows the server's status, and offers a
// few commands. No analysis happens here; everything comes from the server.
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
// The protocol file the server uses too; it imports only vscode-languageserver-protocol, so no server code is bundled.
import {
  COMMANDS,
  LockOrderGraphRequest,
  StatusNotification,
  type LintWorkspaceResult,
  type VendorRuntimeResult,
} from "../../server/src/lsp/protocol";
import { lockOrderGraphHtml } from "./graph-view";

const DOCUMENT_SELECTOR = ["typescript", "typescriptreact"].map((language) => ({ scheme: "file", language }));

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Locksmith", { log: true });
  const status = vscode.languages.createLanguageStatusItem("locksmith.status", DOCUMENT_SELECTOR);
  status.name = "Locksmith";
  status.text = "Locksmith: starting";
  status.command = { title: "Show output", command: "locksmith.showOutput" };
  context.subscriptions.push(output, status);

  const serverModule = context.asAbsolutePath(path.join("dist", "server", "src", "lsp", "main.js"));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6011"] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    diagnosticCollectionName: "locksmith",
    outputChannel: output,
    // Where the server keeps the last analysis's findings, shown the moment a file opens after a restart.
    initializationOptions: { storagePath: (context.storageUri ?? context.globalStorageUri).fsPath },
  };
  client = new LanguageClient("locksmith", "Locksmith", serverOptions, clientOptions);
  context.subscriptions.push(
    client.onNotification(StatusNotification, (params) => {
      status.text = params.text;
      status.detail = params.detail;
      status.busy = params.busy;
      status.severity =
        params.level === "ok"
          ? vscode.LanguageStatusSeverity.Information
          : params.level === "warning"
            ? vscode.LanguageStatusSeverity.Warning
            : vscode.LanguageStatusSeverity.Error;
    }),
  );

  const command = (id: string, run: () => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          return await run();
        } catch (error) {
          output.appendLine(`Locksmith: ${id} failed: ${(error as Error).message}`);
          void vscode.window.showErrorMessage(`Locksmith: ${(error as Error).message}`);
          return undefined;
        }
      }),
    );
  command("locksmith.showOutput", () => output.show(true));
  command("locksmith.restartServer", () => client?.restart());
  command("locksmith.lintWorkspace", async () => {
    const result = (await client!.sendRequest(ExecuteCommandRequest.type, {
      command: COMMANDS.lintWorkspace,
      arguments: [],
    })) as LintWorkspaceResult | null;
    if (result)
      void vscode.window.showInformationMessage(
        `Locksmith analysed ${result.files} files: ${result.problems} problem${result.problems === 1 ? "" : "s"}.`,
      );
    return result;
  });
  command("locksmith.vendorRuntime", async () => {
    const resource = vscode.window.activeTextEditor?.document.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    const result = (await client!.sendRequest(ExecuteCommandRequest.type, {
      command: COMMANDS.vendorRuntime,
      arguments: [{ uri: resource?.toString() }],
    })) as VendorRuntimeResult | null;
    if (result)
      void vscode.window.showInformationMessage(`Locksmith runtime ${result.result}: ${vscode.workspace.asRelativePath(result.path)}`);
    return result;
  });
  command("locksmith.showLockOrderGraph", async () => {
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    const graph = await client!.sendRequest(LockOrderGraphRequest, uri ? { uri } : {});
    const panel = vscode.window.createWebviewPanel("locksmith.lockOrderGraph", "Lock order graph", vscode.ViewColumn.Beside, {
      enableScripts: false,
    });
    panel.webview.html = lockOrderGraphHtml(graph, (file) => vscode.workspace.asRelativePath(file));
    return graph;
  });

  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
