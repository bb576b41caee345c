// Tells the server where the cursor rests (iquest/didMoveCursor) so it can warm its KV cache there.
import * as vscode from "vscode";

import { LANGUAGES } from "./client";

export const DID_MOVE_CURSOR = "iquest/didMoveCursor";
const REST_MS = 150;

/** Navigation only (keys, mouse): an edit already tells the server where the user is. */
export function followCursor(notify: (method: string, params: unknown) => void): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const listener = vscode.window.onDidChangeTextEditorSelection(({ textEditor, selections, kind }) => {
    clearTimeout(timer);
    const navigation = kind === vscode.TextEditorSelectionChangeKind.Keyboard || kind === vscode.TextEditorSelectionChangeKind.Mouse;
    const document = textEditor.document;
    if (!navigation || !LANGUAGES.includes(document.languageId) || selections.length !== 1 || !selections[0].isEmpty) {
      return;
    }
    const { line, character } = selections[0].active;
    timer = setTimeout(() => notify(DID_MOVE_CURSOR, { textDocument: { uri: document.uri.toString() }, position: { line, character } }), REST_MS);
  });
  return { dispose: () => (clearTimeout(timer), listener.dispose()) };
}
