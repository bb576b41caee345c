// Tells the server where the user is going, so it can warm its KV cache there: where the cursor
// rests (iquest/didMoveCursor) and what a scroll brought into view (iquest/didChangeVisibleRange).
import * as vscode from "vscode";

import { LANGUAGES } from "./languages";

export const DID_MOVE_CURSOR = "iquest/didMoveCursor";
export const DID_CHANGE_VISIBLE_RANGE = "iquest/didChangeVisibleRange";
const REST_MS = 150;
// Scrolling fires many events; only where it stops matters.
const SCROLL_REST_MS = 300;

type Notify = (method: string, params: unknown) => void;

/** Navigation only (keys, mouse): an edit already tells the server where the user is. */
export function followCursor(notify: Notify): vscode.Disposable {
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

/** The lines a scroll came to rest on (the first visible range: folds split the view into several). */
export function followVisibleRange(notify: Notify): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  const listener = vscode.window.onDidChangeTextEditorVisibleRanges(({ textEditor, visibleRanges }) => {
    clearTimeout(timer);
    const document = textEditor.document;
    if (!LANGUAGES.includes(document.languageId) || visibleRanges.length === 0) {
      return;
    }
    const first = visibleRanges[0].start.line;
    const last = visibleRanges[visibleRanges.length - 1].end.line;
    const range = { start: { line: first, character: 0 }, end: { line: last, character: 0 } };
    timer = setTimeout(() => notify(DID_CHANGE_VISIBLE_RANGE, { textDocument: { uri: document.uri.toString() }, range }), SCROLL_REST_MS);
  });
  return { dispose: () => (clearTimeout(timer), listener.dispose()) };
}
