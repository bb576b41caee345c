// A block the server answered with its first lines (firstLinesMs) grows in place: the server says when the
// rest is there (iquest/suggestionGrew) and, if the cursor has not moved, the ghost text is asked for again.
import * as vscode from "vscode";
import type { ClientCapabilities, FeatureState, StaticFeature } from "vscode-languageclient/node";

export const SUGGESTION_GREW = "iquest/suggestionGrew";
export const GREW_CAPABILITY = "iquestSuggestionGrew";
// VS Code keeps showing the suggestion on screen when a new request's answer still fits (no flicker), so the
// first lines are hidden before asking again; the whole block comes from the server's cache at once.
const HIDE = "editor.action.inlineSuggest.hide";
const TRIGGER = "editor.action.inlineSuggest.trigger";

export interface GrewParams {
  textDocument: { uri: string; version: number };
  position: { line: number; character: number };
}

/** Ask for the ghost text again when ``editor`` is still at the version and cursor the block was shown for. */
export function showGrownBlock(params: GrewParams, editor: vscode.TextEditor | undefined): boolean {
  if (!editor || editor.selections.length !== 1 || !editor.selection.isEmpty) {
    return false;
  }
  const { document, selection } = editor;
  const { line, character } = params.position;
  const same =
    document.uri.toString() === params.textDocument.uri &&
    document.version === params.textDocument.version &&
    selection.active.line === line &&
    selection.active.character === character;
  if (same) {
    void Promise.resolve(vscode.commands.executeCommand(HIDE)).then(() => vscode.commands.executeCommand(TRIGGER));
  }
  return same;
}

/** Tells the server this client shows grown blocks, and shows them. */
export class GrownBlocks implements StaticFeature {
  constructor(private readonly client: { onNotification(method: string, handler: (params: GrewParams) => void): unknown }) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [GREW_CAPABILITY]: true };
  }

  initialize(): void {
    this.client.onNotification(SUGGESTION_GREW, (params) => showGrownBlock(params, vscode.window.activeTextEditor));
  }

  getState(): FeatureState {
    return { kind: "static" };
  }

  clear(): void {}
}
