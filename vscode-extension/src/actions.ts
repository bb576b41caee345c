// Server commands that answer with an edit for the client to apply (code actions that run as commands).
import * as vscode from "vscode";
import type { WorkspaceEdit } from "vscode-languageclient/node";

/** Commands of lsp_server/features/code_actions.py whose result is a proposal with an edit. */
export const EDIT_COMMANDS = new Set(["iquest.rewriteSelection", "iquest.fixAndVerify", "iquest.proposeEdit"]);

interface Proposal {
  title?: string;
  edit?: WorkspaceEdit | null;
  message?: string;
  accepted?: { command: string; arguments: unknown[] };
  /** The server's security scan of the edit: "flagged" when it introduces a high-severity finding. */
  scan?: { outcome?: string };
}

type Next = (command: string, args: unknown[]) => Promise<unknown>;

/** What this needs of the LanguageClient. */
export interface EditClient {
  asWorkspaceEdit(edit: WorkspaceEdit): Promise<vscode.WorkspaceEdit>;
  execute(command: string, args: unknown[]): Promise<unknown>;
}

/** Ask what is missing, run the command, apply its edit (VS Code asks to confirm annotated edits), record acceptance. */
export async function runEditCommand(client: EditClient, command: string, args: unknown[], next: Next): Promise<unknown> {
  const values = (args[0] ?? {}) as Record<string, unknown>;
  if (command === "iquest.rewriteSelection" && !values.instruction) {
    const instruction = await vscode.window.showInputBox({ title: "Rewrite the selection", prompt: "How should it change?" });
    if (!instruction) {
      return undefined;
    }
    args = [{ ...values, instruction }];
  }
  const proposal = (await next(command, args)) as Proposal | undefined;
  if (!proposal?.edit) {
    void vscode.window.showWarningMessage(`iquest: ${proposal?.message || "no edit was proposed"}`);
    return proposal;
  }
  const flagged = proposal.scan?.outcome === "flagged";
  if (flagged) {
    // Said before the preview VS Code shows for the annotated edit, so the user reviews it knowing why.
    void vscode.window.showWarningMessage(`iquest: ${proposal.title ?? "security findings"}. ${proposal.message ?? ""}`.trim());
  }
  const edit = await client.asWorkspaceEdit(proposal.edit);
  if ((await vscode.workspace.applyEdit(edit)) && proposal.accepted) {
    await client.execute(proposal.accepted.command, proposal.accepted.arguments);
  }
  if (proposal.message && !flagged) {
    void vscode.window.showInformationMessage(`iquest: ${proposal.message}`);
  }
  return proposal;
}
