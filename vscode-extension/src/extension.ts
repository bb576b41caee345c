// Entry point: output channel, status bar, controller, next edits, commands, settings watcher.
import * as vscode from "vscode";

import { registerCommands } from "./commands";
import { Controller } from "./controller";
import { followCursor, followVisibleRange } from "./cursor";
import { NextEdits } from "./nextEdit";
import { StatusBar } from "./status";

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("iquest-lsp", { log: true });
  const status = new StatusBar();
  controller = new Controller(output, status);
  const nextEdits = new NextEdits(controller);
  context.subscriptions.push(
    output,
    status,
    controller,
    nextEdits,
    ...registerCommands(controller, nextEdits),
    followCursor((method, params) => controller?.notify(method, params)),
    followVisibleRange((method, params) => controller?.notify(method, params)),
    vscode.workspace.onDidChangeConfiguration((event) => controller?.configurationChanged(event)),
    // Trusted now: the workspace's own settings and .venv apply, and tests may run; start over with them.
    vscode.workspace.onDidGrantWorkspaceTrust(() => controller?.restart()),
  );
  await controller.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
