// The extension's commands (the palette's "iquest: ..." entries and the status bar menu).
import * as fs from "node:fs";
import * as vscode from "vscode";

import { auditLogPath } from "./audit";
import { Controller } from "./controller";
import { NextEdits } from "./nextEdit";
import { configuration, INLINE_ENABLE } from "./settings";

/** The server command behind the refactor plan (served by lsp_server/features when present). */
export const SERVER_REFACTOR_PLAN = "iquest.refactorPlan";

async function setInline(enabled: boolean): Promise<void> {
  await configuration().update(INLINE_ENABLE, enabled, vscode.ConfigurationTarget.Global);
}

async function fetchModel(controller: Controller): Promise<void> {
  const model = configuration().get<string>("model") ?? "";
  if (model.endsWith(".gguf")) {
    void vscode.window.showInformationMessage(`iquest.model is a file (${model}); there is nothing to fetch.`);
    return;
  }
  const cli = controller.cli ?? controller.resolveCli();
  const terminal = vscode.window.createTerminal({
    name: "iquest: fetch model",
    shellPath: cli.argv[0],
    shellArgs: [...cli.argv.slice(1), "model", "fetch", model],
  });
  terminal.show();
  const closed = vscode.window.onDidCloseTerminal(async (done) => {
    if (done !== terminal) {
      return;
    }
    closed.dispose();
    if (done.exitStatus?.code === 0) {
      controller.output.info(`fetched ${model}; reloading the model`);
      await controller.execute("iquest.reloadModel").catch((error) => controller.output.warn(`reload: ${error}`));
      controller.schedulePoll(0);
    }
  });
}

async function showAuditLog(): Promise<void> {
  const file = auditLogPath(configuration().get<string>("auditLogPath") ?? "");
  if (!fs.existsSync(file)) {
    void vscode.window.showInformationMessage(`No suggestion has been logged yet (${file}).`);
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

async function showStatus(controller: Controller): Promise<void> {
  const payload = await controller.execute<unknown>("iquest.status");
  const document = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(payload, null, 2) });
  await vscode.window.showTextDocument(document, { preview: true });
}

/** Ask for a goal; the server writes a refactor plan and shows it (showDocument), else it opens here. */
async function refactorPlan(controller: Controller): Promise<void> {
  if (!controller.serverCommands().includes(SERVER_REFACTOR_PLAN)) {
    void vscode.window.showWarningMessage("This iquest-lsp server has no refactor plan command; update iquest-lsp.");
    return;
  }
  const goal = await vscode.window.showInputBox({ title: "Refactor plan", prompt: "What should the refactoring achieve?" });
  if (!goal) {
    return;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const focus = active?.scheme === "file" ? [active.toString()] : [];
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "iquest: writing a refactor plan" },
    () => controller.execute<{ markdown?: string; uri?: string } | null>(SERVER_REFACTOR_PLAN, [{ goal, focus }]),
  );
  if (!answer?.markdown) {
    void vscode.window.showWarningMessage("The server returned no refactor plan.");
  } else if (!answer.uri) {
    const document = await vscode.workspace.openTextDocument({ language: "markdown", content: answer.markdown });
    await vscode.window.showTextDocument(document, { preview: false });
  }
}

async function menu(controller: Controller): Promise<void> {
  const enabled = controller.status.state.inlineEnabled;
  const entries: [string, string][] = [
    [enabled ? "Disable inline suggestions" : "Enable inline suggestions", enabled ? "iquest.disableInline" : "iquest.enableInline"],
    ["Show server status", "iquest.showStatus"],
    ["Refactor plan…", "iquest.askRefactorPlan"],
    ["Fetch the configured model", "iquest.fetchModel"],
    ["Show audit log", "iquest.showAuditLog"],
    ["Show output", "iquest.showOutput"],
    ["Restart server", "iquest.restartServer"],
  ];
  const picked = await vscode.window.showQuickPick(entries.map(([label, command]) => ({ label, command })), { title: "iquest-lsp" });
  if (picked) {
    await vscode.commands.executeCommand(picked.command);
  }
}

export function registerCommands(controller: Controller, nextEdits: NextEdits): vscode.Disposable[] {
  const report = (name: string, run: () => Promise<void>) => async () => {
    try {
      await run();
    } catch (error) {
      controller.output.error(`${name}: ${error}`);
      void vscode.window.showErrorMessage(`iquest: ${name} failed: ${error instanceof Error ? error.message : error}`);
    }
  };
  const commands: Record<string, () => Promise<void>> = {
    "iquest.enableInline": () => setInline(true),
    "iquest.disableInline": () => setInline(false),
    "iquest.restartServer": () => controller.restart(),
    "iquest.fetchModel": () => fetchModel(controller),
    "iquest.showAuditLog": showAuditLog,
    "iquest.showOutput": async () => controller.output.show(true),
    "iquest.showStatus": () => showStatus(controller),
    "iquest.askRefactorPlan": () => refactorPlan(controller),
    "iquest.menu": () => menu(controller),
    "iquest.acceptNextWord": () => controller.partialAccepts.acceptNext("Word"),
    "iquest.acceptNextLine": () => controller.partialAccepts.acceptNext("Line"),
    "iquest.acceptNextEdit": () => nextEdits.tab(),
    "iquest.dismissNextEdit": () => nextEdits.dismiss(),
  };
  return Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, report(id, run)));
}
