// The iquest.* settings: which ones the server reads, and which ones only this extension reads.
import * as vscode from "vscode";

export const SECTION = "iquest";

/** Settings the server understands (lsp_server/settings.py _FIELDS); sent as {"iquest": {...}}. */
export const SERVER_SETTINGS = [
  "model",
  "modelsDir",
  "contextSize",
  "kvSnapshotMb",
  "kvSnapshotDiskMb",
  "threads",
  "gpuLayers",
  "maxPromptTokens",
  "fullPromptSeconds",
  "maxTokens",
  "maxLines",
  "multiline",
  "generationTimeoutMs",
  "debounceMs",
  "speculate",
  "candidates",
  "adapt",
  "warmUp",
  "firstLinesMs",
  "middleLines",
  "repoContext",
  "contextTokens",
  "contextFloorTokens",
  "contextLayout",
  "contextSources",
  "exclude",
  "maxFileBytes",
  "auditLog",
  "auditLogPath",
  "actionMaxTokens",
  "planMaxTokens",
  "actionTimeoutMs",
  "selfVerify",
  "testCommand",
  "verifyRounds",
  "verifyTimeoutMs",
  "verifyMemoryMb",
  "scanEdits",
  "scanSuggestions",
  "backend",
  "serverUrl",
  "serverModel",
  "apiKeyEnv",
  "fimFamily",
  "nextEdit.enabled",
  "nextEdit.idleMs",
] as const;

/** Settings of this extension only; changing the launch ones restarts the server. */
export const LAUNCH_SETTINGS = ["server.command", "server.pythonPath", "server.env"] as const;
export const INLINE_ENABLE = "inlineSuggestions.enable";
const NEXT_EDIT_IDLE_MS = 400;

/** The part of a WorkspaceConfiguration these functions read. */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
}

export function configuration(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** The server's settings as the server expects them; unset values are left out. In an untrusted workspace
 * self-verification is off: it would run the workspace's own tests (VS Code already ignores the workspace's
 * values of the package.json's restrictedConfigurations there). */
export function serverSettings(config: ConfigurationLike, trusted = true): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const name of SERVER_SETTINGS) {
    const value = config.get<unknown>(name);
    if (value !== undefined && value !== null) {
      settings[name] = value;
    }
  }
  if (!trusted) {
    settings.selfVerify = false;
    settings.testCommand = "";
  }
  return settings;
}

/** initializationOptions and didChangeConfiguration settings: {"iquest": {...}}. */
export function initializationOptions(config: ConfigurationLike, trusted = true): { iquest: Record<string, unknown> } {
  return { iquest: serverSettings(config, trusted) };
}

/** True when the change touches how the server is started (the server reloads its model by itself). */
export function needsRestart(event: vscode.ConfigurationChangeEvent): boolean {
  return LAUNCH_SETTINGS.some((name) => event.affectsConfiguration(`${SECTION}.${name}`));
}

/** True when the change touches a setting the server reads. */
export function affectsServer(event: vscode.ConfigurationChangeEvent): boolean {
  return SERVER_SETTINGS.some((name) => event.affectsConfiguration(`${SECTION}.${name}`));
}

export function inlineEnabled(config: ConfigurationLike): boolean {
  return config.get<boolean>(INLINE_ENABLE) !== false;
}

/** Whether next-edit suggestions are on, and how long the document must rest before one is asked for. */
export function nextEditSettings(config: ConfigurationLike): { enabled: boolean; idleMs: number } {
  return { enabled: config.get<boolean>("nextEdit.enabled") === true, idleMs: config.get<number>("nextEdit.idleMs") ?? NEXT_EDIT_IDLE_MS };
}
