import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, test } from "node:test";

import { changedPart, DID_SHOW_INLINE_EDIT, INLINE_EDIT, InlineEdit, NextEdits, NextEditServer, preview, tabAction } from "../src/nextEdit";
import {
  answers,
  calls,
  configurationValues,
  editorListeners,
  Position,
  Range,
  Selection,
  TextEditorSelectionChangeKind,
  window,
  WorkspaceEdit,
} from "./vscode-mock";

/** A text document over a string, with the offsets VS Code's has. */
class FakeDocument {
  version = 1;
  readonly languageId = "python";
  readonly uri = { scheme: "file", toString: () => "file:///w/shapes.py" };

  constructor(public text: string) {}

  private lines(): string[] {
    return this.text.split("\n");
  }

  offsetAt(position: Position): number {
    return this.lines().slice(0, position.line).reduce((sum, line) => sum + line.length + 1, 0) + position.character;
  }

  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split("\n");
    return new Position(before.length - 1, before[before.length - 1].length);
  }

  getText(range?: Range): string {
    return range ? this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end)) : this.text;
  }

  validateRange(range: Range): Range {
    return range;
  }

  lineAt(line: number) {
    return { range: new Range(new Position(line, 0), new Position(line, this.lines()[line].length)) };
  }

  /** The user's edit: the text changes, the version goes up, and VS Code tells its listeners. */
  type(text: string): void {
    this.text = text;
    this.version++;
    editorListeners.documentChange.forEach((fire) => fire({ document: this, contentChanges: [{ text }] }));
  }
}

class FakeEditor {
  selection: Selection;
  readonly decorations = new Map<unknown, { range: Range; renderOptions?: { after?: { contentText?: string } } }[]>();
  readonly revealed: Range[] = [];

  constructor(readonly document: FakeDocument, line: number, character: number) {
    this.selection = new Selection(new Position(line, character), new Position(line, character));
  }

  setDecorations(type: unknown, options: { range: Range; renderOptions?: { after?: { contentText?: string } } }[]): void {
    this.decorations.set(type, options);
  }

  revealRange(range: Range): void {
    this.revealed.push(range);
  }

  /** The `after` texts on show, in decoration-type order. */
  afterTexts(): string[] {
    return [...this.decorations.values()].flat().map((option) => option.renderOptions?.after?.contentText ?? "").filter(Boolean);
  }

  /** The ranges of decorations with no `after` text (the struck old text). */
  struck(): string[] {
    return [...this.decorations.values()].flat().filter((option) => !option.renderOptions).map((option) => this.document.getText(option.range));
  }
}

const SOURCE = "def area(radius):\n    return 3.14 * radius * radius\n";
/** The parameter renamed, its uses not yet. */
const HALF_RENAMED = "def area(r):\n    return 3.14 * radius * radius\n";

function editAt(version: number, id = "ne-1"): InlineEdit {
  return {
    text: "    return 3.14 * r * r",
    textDocument: { uri: "file:///w/shapes.py", version },
    range: { start: { line: 1, character: 0 }, end: { line: 1, character: 33 } },
    command: { title: "Accept next edit", command: "iquest.nextEdit.accepted", arguments: [id] },
    iquest: { id },
  };
}

function fakeServer(answer: (params: { textDocument: { version: number } }) => Promise<unknown>) {
  const requests: [string, unknown, { isCancellationRequested: boolean }][] = [];
  const sent: [string, unknown][] = [];
  const executed: [string, unknown[]][] = [];
  const server: NextEditServer = {
    output: { warn: () => undefined } as never,
    async request<R>(method: string, params: unknown, token: never): Promise<R | undefined> {
      requests.push([method, params, token]);
      return (await answer(params as { textDocument: { version: number } })) as R;
    },
    send: (method, params) => void sent.push([method, params]),
    execute: async (command, args) => void executed.push([command, args]),
  };
  return { server, requests, sent, executed };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 40));
const contextKey = () => calls.filter(([name, args]) => name === "executeCommand" && (args as unknown[])[0] === "setContext").map(([, args]) => (args as unknown[])[2]);

let nextEdits: NextEdits | undefined;

beforeEach(() => {
  calls.length = 0;
  answers.applyEdit = true;
  configurationValues["iquest.nextEdit.enabled"] = true;
  configurationValues["iquest.nextEdit.idleMs"] = 5;
});

afterEach(() => {
  nextEdits?.dispose();
  nextEdits = undefined;
});

/** An editor on SOURCE with the cursor after the renamed parameter, and the server's answer (rename its uses) shown. */
async function shown() {
  const document = new FakeDocument(SOURCE);
  const editor = new FakeEditor(document, 0, 10);
  window.activeTextEditor = editor;
  const fake = fakeServer(async ({ textDocument }) => ({ edits: [editAt(textDocument.version)] }));
  nextEdits = new NextEdits(fake.server);
  document.type(HALF_RENAMED);
  await settle();
  return { document, editor, ...fake, nextEdits };
}

test("a change that settles asks for the next edit at the document's version and the cursor, and shows it once", async () => {
  const { editor, requests, sent } = await shown();
  assert.deepEqual(
    requests.map(([method, params]) => [method, params]),
    [[INLINE_EDIT, { textDocument: { uri: "file:///w/shapes.py", version: 2 }, position: { line: 0, character: 10 } }]],
  );
  assert.deepEqual(editor.struck(), ["radius * radius"]);
  assert.deepEqual(editor.afterTexts(), ["r * r", "Tab to jump to the next edit (line 2), Esc to dismiss"]);
  assert.deepEqual(contextKey(), [true]);
  assert.deepEqual(sent, [[DID_SHOW_INLINE_EDIT, { item: editAt(2) }]]);
});

test("Tab jumps to the edit, Tab there applies it and records the acceptance", async () => {
  const { editor, document, executed, nextEdits } = await shown();
  await nextEdits.tab();
  assert.deepEqual(editor.selection.active, new Position(1, 0));
  assert.equal(editor.revealed.length, 1);
  assert.deepEqual(editor.afterTexts(), ["r * r", "Tab to apply, Esc to dismiss"]);
  assert.deepEqual(executed, []);

  await nextEdits.tab();
  const applied = calls.find(([name]) => name === "applyEdit")?.[1] as WorkspaceEdit;
  assert.deepEqual(applied.replaced, [[document.uri, new Range(new Position(1, 0), new Position(1, 33)), "    return 3.14 * r * r"]]);
  assert.deepEqual(executed, [["iquest.nextEdit.accepted", ["ne-1"]]]);
  assert.deepEqual(editor.afterTexts(), []);
  assert.deepEqual(contextKey(), [true, false]);
  assert.equal(nextEdits.current, undefined);
});

test("Esc clears the edit and records the rejection", async () => {
  const { editor, executed, nextEdits } = await shown();
  await nextEdits.dismiss();
  assert.deepEqual(executed, [["iquest.nextEdit.rejected", ["ne-1"]]]);
  assert.deepEqual(editor.afterTexts(), []);
  assert.deepEqual(editor.struck(), []);
  assert.deepEqual(contextKey(), [true, false]);
  assert.equal(calls.some(([name]) => name === "applyEdit"), false);
});

test("an edit the document has moved past is dropped: Tab types a tab, nothing is applied or recorded", async () => {
  const { editor, document, executed, nextEdits } = await shown();
  editor.selection = new Selection(new Position(1, 4), new Position(1, 4));
  document.version++; // changed without the extension seeing it yet
  await nextEdits.tab();
  assert.equal(calls.some(([name]) => name === "applyEdit"), false);
  assert.deepEqual(calls.at(-1), ["executeCommand", ["tab"]]);
  assert.deepEqual(executed, []);
  assert.equal(nextEdits.current, undefined);
});

test("an answer for a version the user has typed past is never shown, and its request is cancelled", async () => {
  const document = new FakeDocument(SOURCE);
  window.activeTextEditor = new FakeEditor(document, 0, 10);
  let release: (value: unknown) => void = () => undefined;
  const fake = fakeServer(({ textDocument }) =>
    textDocument.version === 2 ? new Promise((resolve) => (release = resolve)) : Promise.resolve({ edits: [] }),
  );
  nextEdits = new NextEdits(fake.server);
  document.type(HALF_RENAMED);
  await settle();
  assert.equal(fake.requests.length, 1);
  document.type("def area(ra):\n    return 3.14 * radius * radius\n");
  assert.equal(fake.requests[0][2].isCancellationRequested, true);
  release({ edits: [editAt(2)] });
  await settle();
  assert.equal(fake.requests.length, 2);
  assert.equal(nextEdits.current, undefined);
  assert.deepEqual(fake.sent, []);
  assert.deepEqual(contextKey(), []);
});

test("typing clears the edit with no verdict; moving away clears it; moving onto it keeps it", async () => {
  const first = await shown();
  first.document.type(first.document.text.replace("def area(r)", "def area(r2)"));
  assert.equal(first.nextEdits.current, undefined);
  assert.deepEqual(first.executed, []);
  first.nextEdits.dispose();

  calls.length = 0;
  const second = await shown();
  const move = (line: number) => {
    second.editor.selection = new Selection(new Position(line, 0), new Position(line, 0));
    editorListeners.selection.forEach((fire) =>
      fire({ textEditor: second.editor, selections: [second.editor.selection], kind: TextEditorSelectionChangeKind.Keyboard }),
    );
  };
  move(1);
  assert.notEqual(second.nextEdits.current, undefined);
  assert.deepEqual(second.editor.afterTexts(), ["r * r", "Tab to apply, Esc to dismiss"]);
  move(2);
  assert.equal(second.nextEdits.current, undefined);
  assert.deepEqual(second.executed, []);
});

test("an edit for another document is not shown", async () => {
  const document = new FakeDocument(SOURCE);
  window.activeTextEditor = new FakeEditor(document, 0, 10);
  const fake = fakeServer(async ({ textDocument }) => ({ edits: [{ ...editAt(textDocument.version), textDocument: { uri: "file:///w/other.py", version: textDocument.version } }] }));
  nextEdits = new NextEdits(fake.server);
  document.type(HALF_RENAMED);
  await settle();
  assert.equal(fake.requests.length, 1);
  assert.equal(nextEdits.current, undefined);
  assert.deepEqual(fake.sent, []);
});

test("an inserted prefix shows as the old name struck and the new name after it", async () => {
  const document = new FakeDocument(SOURCE);
  const editor = new FakeEditor(document, 0, 13);
  window.activeTextEditor = editor;
  const prefix = (version: number): InlineEdit => ({
    ...editAt(version),
    text: "tax_",
    range: { start: { line: 1, character: 18 }, end: { line: 1, character: 18 } },
  });
  const fake = fakeServer(async ({ textDocument }) => ({ edits: [prefix(textDocument.version)] }));
  nextEdits = new NextEdits(fake.server);
  document.type("def area(tax_radius):\n    return 3.14 * radius * radius\n");
  await settle();
  assert.deepEqual(editor.struck(), ["radius"]);
  assert.deepEqual(editor.afterTexts(), ["tax_radius", "Tab to jump to the next edit (line 2), Esc to dismiss"]);
  await nextEdits.tab();
  await nextEdits.tab();
  const applied = calls.find(([name]) => name === "applyEdit")?.[1] as WorkspaceEdit;
  assert.deepEqual(applied.replaced, [[document.uri, new Range(new Position(1, 18), new Position(1, 18)), "tax_"]]);
});

test("nothing is asked when next edits are off", async () => {
  configurationValues["iquest.nextEdit.enabled"] = false;
  const document = new FakeDocument(SOURCE);
  window.activeTextEditor = new FakeEditor(document, 0, 10);
  const fake = fakeServer(async () => ({ edits: [editAt(2)] }));
  nextEdits = new NextEdits(fake.server);
  document.type(HALF_RENAMED);
  await settle();
  assert.deepEqual(fake.requests, []);
});

test("Tab jumps away from the edit's lines and applies on them; a stale version drops", () => {
  const edit = editAt(3);
  assert.equal(tabAction(edit, 0, 3), "jump");
  assert.equal(tabAction(edit, 1, 3), "apply");
  assert.equal(tabAction(edit, 1, 4), "drop");
});

test("the changed part is widened to whole words", () => {
  const old = "    return 3.14 * radius * radius";
  const part = changedPart(old, "    return 3.14 * r * r");
  assert.deepEqual([old.slice(part.start, part.end), part.inserted], ["radius * radius", "r * r"]);
  const added = changedPart("print(a)", "print(a, b)");
  assert.deepEqual(["print(a)".slice(added.start, added.end), added.inserted], ["", ", b"]);
  const renamed = changedPart("total = count + 1", "total = counter + 1");
  assert.deepEqual(["total = count + 1".slice(renamed.start, renamed.end), renamed.inserted], ["count", "counter"]);
  assert.equal(preview("a = 1\nb = 2\nc = 3"), "a = 1 … (+2 lines)");
});

test("the keybindings never take Tab or Esc from ghost text or the suggest widget", () => {
  const bindings = JSON.parse(readFileSync("package.json", "utf8")).contributes.keybindings as { command: string; key: string; when: string }[];
  for (const [command, key] of [["iquest.acceptNextEdit", "tab"], ["iquest.dismissNextEdit", "escape"]]) {
    const binding = bindings.find((candidate) => candidate.command === command);
    assert.equal(binding?.key, key);
    const terms = binding!.when.split(" && ");
    for (const term of ["iquest.nextEditVisible", "editorTextFocus", "!inlineSuggestionVisible", "!suggestWidgetVisible"]) {
      assert.ok(terms.includes(term), `${command}: ${term}`);
    }
  }
});
