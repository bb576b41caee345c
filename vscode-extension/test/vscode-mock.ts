// A stand-in for the `vscode` module, bundled into the unit tests in its place (esbuild alias).
export const configurationValues: Record<string, unknown> = {};

export const workspace = {
  workspaceFolders: [] as { uri: { fsPath: string } }[],
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

export const window = {
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
