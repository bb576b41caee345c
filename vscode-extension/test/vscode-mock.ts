// A stand-in for the `vscode` module, bundled into the unit tests in its place (esbuild alias).
export const configurationValues: Record<string, unknown> = {};

/** Calls the code under test made to window/workspace functions, and the answers they get. */
export const calls: [string, unknown][] = [];
export const answers: { inputBox?: string; applyEdit: boolean } = { applyEdit: true };

export const workspace = {
  workspaceFolders: [] as { uri: { fsPath: string } }[],
  onDidChangeTextDocument: (listener: (event: unknown) => void) => listen(editorListeners.documentChange, listener),
  onDidChangeConfiguration: (listener: (event: unknown) => void) => listen(editorListeners.configuration, listener),
  async applyEdit(edit: unknown): Promise<boolean> {
    calls.push(["applyEdit", edit]);
    return answers.applyEdit;
  },
  getConfiguration(section: string) {
    return {
      get<T>(key: string): T | undefined {
        return configurationValues[`${section}.${key}`] as T | undefined;
      },
    };
  },
};

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export interface FakeStatusBarItem {
  text: string;
  tooltip?: string;
  command?: string;
  backgroundColor?: ThemeColor;
  name?: string;
  visible: boolean;
}

export const createdItems: FakeStatusBarItem[] = [];

/** Listeners the code under test registered for editor events, to fire them by hand. */
export const editorListeners: Record<"visibleRanges" | "selection" | "activeEditor" | "documentChange" | "configuration", ((event: unknown) => void)[]> = {
  visibleRanges: [],
  selection: [],
  activeEditor: [],
  documentChange: [],
  configuration: [],
};

function listen(list: ((event: unknown) => void)[], listener: (event: unknown) => void) {
  list.push(listener);
  return { dispose: () => list.splice(list.indexOf(listener), 1) };
}

export class Position {
  constructor(readonly line: number, readonly character: number) {}
  isEqual(other: Position): boolean {
    return this.line === other.line && this.character === other.character;
  }
  isBefore(other: Position): boolean {
    return this.line < other.line || (this.line === other.line && this.character < other.character);
  }
}

export class Range {
  constructor(readonly start: Position, readonly end: Position) {}
  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }
}

export class Selection extends Range {
  constructor(readonly anchor: Position, readonly active: Position) {
    super(anchor.isBefore(active) ? anchor : active, anchor.isBefore(active) ? active : anchor);
  }
}

/** Records its replacements as [uri, range, text]. */
export class WorkspaceEdit {
  readonly replaced: [unknown, Range, string][] = [];
  replace(uri: unknown, range: Range, text: string): void {
    this.replaced.push([uri, range, text]);
  }
}

export class CancellationTokenSource {
  readonly token = { isCancellationRequested: false };
  cancel(): void {
    this.token.isCancellationRequested = true;
  }
  dispose(): void {}
}

export class MarkdownString {
  value = "";
  appendCodeblock(code: string, language: string): MarkdownString {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}

export enum TextEditorRevealType {
  Default = 0,
  InCenter = 1,
  InCenterIfOutsideViewport = 2,
  AtTop = 3,
}

export const commands = {
  async executeCommand(command: string, ...args: unknown[]): Promise<undefined> {
    calls.push(["executeCommand", [command, ...args]]);
    return undefined;
  },
};

export enum TextEditorSelectionChangeKind {
  Keyboard = 1,
  Mouse = 2,
  Command = 3,
}

export const window = {
  activeTextEditor: undefined as unknown,
  onDidChangeActiveTextEditor: (listener: (event: unknown) => void) => listen(editorListeners.activeEditor, listener),
  createTextEditorDecorationType(options: unknown) {
    return { options, dispose() {} };
  },
  onDidChangeTextEditorVisibleRanges: (listener: (event: unknown) => void) => listen(editorListeners.visibleRanges, listener),
  onDidChangeTextEditorSelection: (listener: (event: unknown) => void) => listen(editorListeners.selection, listener),
  async showInputBox(options: unknown): Promise<string | undefined> {
    calls.push(["showInputBox", options]);
    return answers.inputBox;
  },
  async showWarningMessage(message: string): Promise<undefined> {
    calls.push(["showWarningMessage", message]);
    return undefined;
  },
  async showInformationMessage(message: string): Promise<undefined> {
    calls.push(["showInformationMessage", message]);
    return undefined;
  },
  createStatusBarItem(): FakeStatusBarItem & { show(): void; dispose(): void } {
    const item = {
      text: "",
      visible: false,
      show() {
        item.visible = true;
      },
      dispose() {
        item.visible = false;
      },
    };
    createdItems.push(item);
    return item;
  },
};

/** A ConfigurationChangeEvent that affects exactly the given keys (and their parent sections). */
export function changeEvent(...keys: string[]) {
  return {
    affectsConfiguration: (section: string) => keys.some((key) => key === section || key.startsWith(`${section}.`)),
  };
}
