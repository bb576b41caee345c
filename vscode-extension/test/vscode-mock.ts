// A stand-in for the `vscode` module, bundled into the unit tests in its place (esbuild alias).
export const configurationValues: Record<string, unknown> = {};

/** Calls the code under test made to window/workspace functions, and the answers they get. */
export const calls: [string, unknown][] = [];
export const answers: { inputBox?: string; applyEdit: boolean } = { applyEdit: true };

export const workspace = {
  workspaceFolders: [] as { uri: { fsPath: string } }[],
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
export const editorListeners: { visibleRanges: ((event: unknown) => void)[]; selection: ((event: unknown) => void)[] } = {
  visibleRanges: [],
  selection: [],
};

function listen(list: ((event: unknown) => void)[], listener: (event: unknown) => void) {
  list.push(listener);
  return { dispose: () => list.splice(list.indexOf(listener), 1) };
}

export enum TextEditorSelectionChangeKind {
  Keyboard = 1,
  Mouse = 2,
  Command = 3,
}

export const window = {
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
