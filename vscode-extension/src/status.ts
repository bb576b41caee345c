// The status bar item: starting, loading model / indexing with progress, ready with latency, off, error.
import * as vscode from "vscode";

/** The parts of the server's iquest.status payload shown here (lsp_server/features/commands.py). */
export interface ServerStatus {
  state: "not loaded" | "loading" | "ready" | "failed";
  error?: string | null;
  model?: string;
  fimFamily?: string;
  lastGeneration?: { totalMs: number; promptTokens: number; evaluatedTokens: number; generatedTokens: number };
  index?: { state: string; files?: number; error?: string | null };
  completion?: { acceptance?: Acceptance };
}

/** Today's figures of iquest.status's completion.acceptance (lsp_server/acceptance.py). */
export interface Acceptance {
  shown: number;
  accepted: number;
  partiallyAccepted: number;
  acceptanceRate: number | null;
}

export interface Progress {
  title: string;
  percent?: number;
  message?: string;
}

export interface StatusState {
  client: "starting" | "running" | "stopped";
  startError?: string;
  progress: Progress[];
  server?: ServerStatus;
  latencyMs?: number;
  inlineEnabled: boolean;
}

export interface StatusView {
  text: string;
  tooltip: string;
  command: string;
  error: boolean;
}

const SPIN = "$(loading~spin)";

function shortTitle(title: string): string {
  return title.replace(/^iquest:\s*/, "");
}

function tooltipOf(state: StatusState): string {
  const lines = ["iquest-lsp"];
  const server = state.server;
  if (server?.model) {
    lines.push(`model: ${server.model}${server.fimFamily ? ` (FIM: ${server.fimFamily})` : ""}`);
  }
  if (server?.lastGeneration) {
    const g = server.lastGeneration;
    lines.push(`last generation: ${g.totalMs} ms, ${g.evaluatedTokens}/${g.promptTokens} prompt tokens evaluated, ${g.generatedTokens} generated`);
  }
  const acceptance = server?.completion?.acceptance;
  if (acceptance && acceptance.acceptanceRate !== null) {
    const taken = acceptance.accepted + acceptance.partiallyAccepted;
    const rate = Math.round(acceptance.acceptanceRate * 100);
    lines.push(`today: ${rate}% accepted (${taken} of ${acceptance.shown} suggestions, ${acceptance.partiallyAccepted} in part)`);
  }
  if (server?.index) {
    lines.push(`index: ${server.index.state}${server.index.files !== undefined ? `, ${server.index.files} files` : ""}`);
  }
  if (!state.inlineEnabled) {
    lines.push("inline suggestions are off");
  }
  return lines.join("\n");
}

/** What the status bar item shows for a state. */
export function render(state: StatusState): StatusView {
  const tooltip = tooltipOf(state);
  const failure = state.startError ?? (state.server?.state === "failed" ? state.server.error ?? "the model failed to load" : undefined);
  if (failure) {
    return { text: "$(error) iquest", tooltip: `${failure}\n\nClick to open the output.`, command: "iquest.showOutput", error: true };
  }
  if (state.client === "stopped") {
    return { text: "$(debug-stop) iquest: stopped", tooltip, command: "iquest.menu", error: false };
  }
  const active = state.progress[0];
  if (active) {
    const percent = active.percent !== undefined ? ` ${active.percent}%` : "";
    const detail = active.message ? `\n${active.message}` : "";
    return { text: `${SPIN} iquest: ${shortTitle(active.title)}${percent}`, tooltip: `${tooltip}${detail}`, command: "iquest.menu", error: false };
  }
  if (state.client === "starting" || !state.server) {
    return { text: `${SPIN} iquest: starting`, tooltip, command: "iquest.menu", error: false };
  }
  if (state.server.state !== "ready") {
    return { text: `${SPIN} iquest: loading model`, tooltip, command: "iquest.menu", error: false };
  }
  if (!state.inlineEnabled) {
    return { text: "$(circle-slash) iquest: off", tooltip, command: "iquest.menu", error: false };
  }
  const latency = state.latencyMs !== undefined ? ` ${Math.round(state.latencyMs)} ms` : "";
  return { text: `$(sparkle) iquest${latency}`, tooltip, command: "iquest.menu", error: false };
}

/** Owns the status bar item and the state it renders. */
export class StatusBar implements vscode.Disposable {
  readonly state: StatusState = { client: "starting", progress: [], inlineEnabled: true };
  private readonly item = vscode.window.createStatusBarItem("iquest.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "iquest-lsp";
    this.update({});
    this.item.show();
  }

  update(change: Partial<StatusState>): void {
    Object.assign(this.state, change);
    const view = render(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
