// Next-edit suggestions: once the document rests after a change, ask the server (textDocument/copilotInlineEdit)
// for the edit that should come next, anywhere in the file, and show it as decorations. Tab jumps to it, Tab there
// applies it, Esc dismisses it; shown, accepted and rejected reach the server's audit log.
import * as vscode from "vscode";

import { LANGUAGES } from "./languages";
import { configuration, nextEditSettings, SECTION } from "./settings";

export const INLINE_EDIT = "textDocument/copilotInlineEdit";
export const DID_SHOW_INLINE_EDIT = "textDocument/didShowInlineEdit";
export const REJECTED = "iquest.nextEdit.rejected";
export const VISIBLE_CONTEXT = "iquest.nextEditVisible";

interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** One edit of a copilotInlineEdit answer. */
export interface InlineEdit {
  text: string;
  textDocument: { uri: string; version: number };
  range: LspRange;
  command?: { title: string; command: string; arguments?: unknown[] };
  iquest?: { id: string };
}

/** What this needs of the Controller. */
export interface NextEditServer {
  readonly output: vscode.LogOutputChannel;
  request<R>(method: string, params: unknown, token: vscode.CancellationToken): Promise<R | undefined>;
  send(method: string, params: unknown): void;
  execute(command: string, args: unknown[]): Promise<unknown>;
}

/** Whether the cursor's line is one of the lines the edit replaces. */
export function atEdit(edit: InlineEdit, line: number): boolean {
  return line >= edit.range.start.line && line <= edit.range.end.line;
}

/** What Tab does: drop an edit the document has moved past, else apply it at the edit, else jump there. */
export function tabAction(edit: InlineEdit, cursorLine: number, version: number): "drop" | "apply" | "jump" {
  if (version !== edit.textDocument.version) {
    return "drop";
  }
  return atEdit(edit, cursorLine) ? "apply" : "jump";
}

/** The part of `old` that `text` changes ([start, end) offsets into old) and what replaces it, widened to whole words. */
export function changedPart(old: string, text: string): { start: number; end: number; inserted: string } {
  let start = 0;
  while (start < old.length && start < text.length && old[start] === text[start]) {
    start++;
  }
  let tail = 0;
  while (tail < old.length - start && tail < text.length - start && old[old.length - 1 - tail] === text[text.length - 1 - tail]) {
    tail++;
  }
  const word = (char: string | undefined) => char !== undefined && /\w/.test(char);
  // A renamed identifier shows whole ("radius" struck, "r" shown) rather than as a cut word.
  while (start > 0 && word(old[start - 1]) && (word(old[start]) || word(text[start]))) {
    start--;
  }
  while (tail > 0 && word(old[old.length - tail]) && (word(old[old.length - tail - 1]) || word(text[text.length - tail - 1]))) {
    tail--;
  }
  return { start, end: old.length - tail, inserted: text.slice(start, text.length - tail) };
}

/** The edit as a unified-diff-like block for the hover. */
export function diffBlock(old: string, text: string): string {
  const lines = (value: string, sign: string) => (value === "" ? [] : value.split(/\r?\n/).map((line) => `${sign} ${line}`));
  return [...lines(old, "-"), ...lines(text, "+")].join("\n");
}

/** The one-line preview of inserted text: its first line and how many follow. */
export function preview(inserted: string): string {
  const lines = inserted.split(/\r?\n/);
  return lines.length > 1 ? `${lines[0]} … (+${lines.length - 1} lines)` : lines[0];
}

/** The edit on its whole lines: the old lines, the new ones, and the part that changes (document positions). */
function onLines(document: vscode.TextDocument, range: vscode.Range, text: string) {
  const lines = new vscode.Range(new vscode.Position(range.start.line, 0), document.lineAt(range.end.line).range.end);
  const old = document.getText(lines);
  const updated = document.getText(new vscode.Range(lines.start, range.start)) + text + document.getText(new vscode.Range(range.end, lines.end));
  const part = changedPart(old, updated);
  const base = document.offsetAt(lines.start);
  return { old, updated, from: document.positionAt(base + part.start), to: document.positionAt(base + part.end), inserted: part.inserted };
}

function served(document: vscode.TextDocument): boolean {
  return LANGUAGES.includes(document.languageId) && (document.uri.scheme === "file" || document.uri.scheme === "untitled");
}

interface Shown {
  editor: vscode.TextEditor;
  edit: InlineEdit;
  id: string;
  range: vscode.Range;
  /** Where the cursor was when the edit was shown (or jumped to): moving elsewhere, off the edit, clears it. */
  anchorLine: number;
}

/**
 * Asks for, shows and applies next edits in the active editor. Only Esc counts as a rejection: typing or moving away
 * clears the edit with no verdict (the user may be making it by hand, or doing something else), so it stays "shown".
 */
export class NextEdits implements vscode.Disposable {
  private shown?: Shown;
  private pending?: vscode.CancellationTokenSource;
  private timer?: NodeJS.Timeout;
  private readonly removed = vscode.window.createTextEditorDecorationType({
    textDecoration: "line-through",
    backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
  });
  private readonly inserted = vscode.window.createTextEditorDecorationType({
    after: {
      backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
      color: new vscode.ThemeColor("gitDecoration.addedResourceForeground"),
      margin: "0 0 0 0.2em",
    },
  });
  private readonly hint = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorCodeLens.foreground"), fontStyle: "italic", margin: "0 0 0 2em" },
  });
  private readonly listeners: vscode.Disposable[];

  constructor(private readonly server: NextEditServer) {
    this.listeners = [
      vscode.workspace.onDidChangeTextDocument((event) => this.changed(event)),
      vscode.window.onDidChangeTextEditorSelection((event) => this.moved(event)),
      vscode.window.onDidChangeActiveTextEditor(() => this.clear()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${SECTION}.nextEdit`) && !nextEditSettings(configuration()).enabled) {
          this.cancel();
          this.clear();
        }
      }),
    ];
  }

  /** The edit on show, if any (for tests and commands). */
  get current(): InlineEdit | undefined {
    return this.shown?.edit;
  }

  private changed({ document, contentChanges }: vscode.TextDocumentChangeEvent): void {
    if (contentChanges.length === 0) {
      return;
    }
    if (this.shown?.editor.document === document) {
      this.clear();
    }
    const editor = vscode.window.activeTextEditor;
    if (editor?.document !== document) {
      return;
    }
    this.cancel();
    const { enabled, idleMs } = nextEditSettings(configuration());
    if (enabled && served(document)) {
      this.timer = setTimeout(() => void this.ask(editor), idleMs);
    }
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.pending?.cancel();
    this.pending = undefined;
  }

  private async ask(editor: vscode.TextEditor): Promise<void> {
    if (vscode.window.activeTextEditor !== editor) {
      return;
    }
    const document = editor.document;
    const version = document.version;
    const { line, character } = editor.selection.active;
    const source = new vscode.CancellationTokenSource();
    this.pending = source;
    const params = { textDocument: { uri: document.uri.toString(), version }, position: { line, character } };
    let answer: { edits?: InlineEdit[] } | undefined;
    try {
      answer = await this.server.request<{ edits?: InlineEdit[] }>(INLINE_EDIT, params, source.token);
    } catch (error) {
      if (!source.token.isCancellationRequested) {
        this.server.output.warn(`${INLINE_EDIT}: ${error}`);
      }
    }
    const stale = source.token.isCancellationRequested || document.version !== version || vscode.window.activeTextEditor !== editor;
    if (this.pending === source) {
      this.pending = undefined;
    }
    source.dispose();
    const edit = answer?.edits?.[0];
    if (edit && !stale && edit.textDocument.version === version && edit.textDocument.uri === params.textDocument.uri) {
      this.show(editor, edit);
    }
  }

  private show(editor: vscode.TextEditor, edit: InlineEdit): void {
    const document = editor.document;
    const { start, end } = edit.range;
    const range = document.validateRange(new vscode.Range(new vscode.Position(start.line, start.character), new vscode.Position(end.line, end.character)));
    if (document.getText(range) === edit.text) {
      return;
    }
    this.clear();
    const id = edit.iquest?.id ?? String(edit.command?.arguments?.[0] ?? "");
    this.shown = { editor, edit, id, range, anchorLine: editor.selection.active.line };
    this.render();
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, true);
    this.server.send(DID_SHOW_INLINE_EDIT, { item: edit });
  }

  /** Struck old text, the new text after it, and a hint at the cursor's line or at the edit. */
  private render(): void {
    if (!this.shown) {
      return;
    }
    const { editor, edit, range } = this.shown;
    const document = editor.document;
    // Shown on whole lines, so a name that gains a prefix shows as the old name struck and the new one after it.
    const { old, updated, from, to, inserted } = onLines(document, range, edit.text);
    const hoverMessage = new vscode.MarkdownString().appendCodeblock(diffBlock(old, updated), "diff");
    editor.setDecorations(this.removed, from.isEqual(to) ? [] : [{ range: new vscode.Range(from, to), hoverMessage }]);
    const shownText = preview(inserted);
    editor.setDecorations(
      this.inserted,
      shownText === "" ? [] : [{ range: new vscode.Range(to, to), hoverMessage, renderOptions: { after: { contentText: shownText } } }],
    );
    const cursorLine = editor.selection.active.line;
    const here = atEdit(edit, cursorLine);
    const hintAt = document.lineAt(here ? range.end.line : cursorLine).range.end;
    const hint = here ? "Tab to apply, Esc to dismiss" : `Tab to jump to the next edit (line ${range.start.line + 1}), Esc to dismiss`;
    editor.setDecorations(this.hint, [{ range: new vscode.Range(hintAt, hintAt), renderOptions: { after: { contentText: hint } } }]);
  }

  private moved({ textEditor, selections, kind }: vscode.TextEditorSelectionChangeEvent): void {
    const shown = this.shown;
    if (!shown || textEditor !== shown.editor || selections.length === 0) {
      return;
    }
    const line = selections[0].active.line;
    const byUser = kind === vscode.TextEditorSelectionChangeKind.Keyboard || kind === vscode.TextEditorSelectionChangeKind.Mouse;
    if (byUser && line !== shown.anchorLine && !atEdit(shown.edit, line)) {
      this.clear();
    } else {
      this.render();
    }
  }

  /** Tab: jump to the edit, or apply it when the cursor is there; the editor's own Tab when there is nothing to do. */
  async tab(): Promise<void> {
    const shown = this.shown;
    const editor = vscode.window.activeTextEditor;
    const action = shown && editor === shown.editor ? tabAction(shown.edit, editor.selection.active.line, editor.document.version) : "drop";
    if (!shown || !editor || action === "drop") {
      this.clear();
      await vscode.commands.executeCommand("tab");
      return;
    }
    if (action === "jump") {
      shown.anchorLine = shown.range.start.line;
      editor.selection = new vscode.Selection(shown.range.start, shown.range.start);
      editor.revealRange(shown.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      this.render();
      return;
    }
    const document = editor.document;
    const { from, inserted } = onLines(document, shown.range, shown.edit.text);
    const cursorOffset = document.offsetAt(from) + inserted.length;
    this.clear();
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, shown.range, shown.edit.text);
    if (!(await vscode.workspace.applyEdit(edit))) {
      return;
    }
    const cursor = document.positionAt(cursorOffset);
    editor.selection = new vscode.Selection(cursor, cursor);
    const command = shown.edit.command;
    if (command) {
      await this.server.execute(command.command, command.arguments ?? []);
    }
  }

  /** Esc: clear the edit and record the rejection. */
  async dismiss(): Promise<void> {
    const shown = this.shown;
    this.clear();
    if (shown) {
      await this.server.execute(REJECTED, [shown.id]);
    }
  }

  /** Hide the edit on show, with no verdict. */
  clear(): void {
    const shown = this.shown;
    this.shown = undefined;
    if (shown) {
      for (const type of [this.removed, this.inserted, this.hint]) {
        shown.editor.setDecorations(type, []);
      }
      void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, false);
    }
  }

  dispose(): void {
    this.cancel();
    this.clear();
    for (const disposable of [...this.listeners, this.removed, this.inserted, this.hint]) {
      disposable.dispose();
    }
  }
}
