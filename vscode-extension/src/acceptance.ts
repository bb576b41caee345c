// Partial accepts of our ghost text: the stable API shows the extension neither shows nor partial accepts, so
// iquest.acceptNextWord / acceptNextLine run VS Code's own command and tell the server what it inserted.
import * as vscode from "vscode";

export const DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion";
const KEEP = 20;

/** One inline item the server answered with, where it was offered. */
export interface Offered {
  uri: string;
  line: number;
  character: number;
  text: string;
  command: vscode.Command;
}

/** The newest offered item that the text from its position to the cursor begins, and that text's UTF-16 length. */
export function partialAcceptance(
  offered: readonly Offered[],
  textToCursor: (item: Offered) => string | undefined,
): { item: Offered; acceptedLength: number } | undefined {
  for (let index = offered.length - 1; index >= 0; index--) {
    const item = offered[index];
    const accepted = textToCursor(item);
    if (accepted && item.text.startsWith(accepted)) {
      return { item, acceptedLength: accepted.length }; // JavaScript strings count UTF-16 units
    }
  }
  return undefined;
}

/** Remembers the last items offered and reports the part a word or line accept inserted. */
export class PartialAccepts {
  private offered: Offered[] = [];

  constructor(private readonly notify: (method: string, params: unknown) => void) {}

  /** Called with every answer the inline provider got from the server. */
  remember(document: vscode.TextDocument, position: vscode.Position, items: readonly vscode.InlineCompletionItem[]): void {
    for (const item of items) {
      const args = item.command?.arguments?.[0] as { id?: unknown } | undefined;
      if (typeof item.insertText !== "string" || item.command === undefined || args?.id === undefined) {
        continue;
      }
      const start = item.range?.start ?? position;
      this.offered.push({ uri: document.uri.toString(), line: start.line, character: start.character, text: item.insertText, command: item.command });
    }
    this.offered = this.offered.slice(-KEEP);
  }

  /** Run editor.action.inlineSuggest.acceptNext{Word,Line}, then send didPartiallyAcceptCompletion for our item. */
  async acceptNext(unit: "Word" | "Line"): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      return;
    }
    const document = editor.document;
    const version = document.version;
    await vscode.commands.executeCommand(`editor.action.inlineSuggest.acceptNext${unit}`);
    if (document.version === version) {
      await changed(document, 500);
    }
    if (document.version === version) {
      return; // nothing was inserted (no ghost text, or another provider's that was empty)
    }
    const cursor = editor.selection.active;
    const uri = document.uri.toString();
    const found = partialAcceptance(
      this.offered.filter((item) => item.uri === uri),
      (item) => {
        const start = new vscode.Position(item.line, item.character);
        return cursor.isBefore(start) ? undefined : document.getText(new vscode.Range(start, cursor));
      },
    );
    if (found) {
      const { item, acceptedLength } = found;
      const command = { title: item.command.title, command: item.command.command, arguments: item.command.arguments };
      this.notify(DID_PARTIALLY_ACCEPT, { item: { insertText: item.text, command }, acceptedLength });
    }
  }
}

function changed(document: vscode.TextDocument, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      listener.dispose();
      resolve();
    }, timeoutMs);
    const listener = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document === document) {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      }
    });
  });
}
