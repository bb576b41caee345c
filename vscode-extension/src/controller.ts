// Owns the running client: start, stop, restart, settings changes, server status polling.
import * as vscode from "vscode";
import { ExecuteCommandRequest, LanguageClient, State } from "vscode-languageclient/node";

import { PartialAccepts } from "./acceptance";
import { createClient } from "./client";
import { Cli, nodeLaunchEnv, resolveCli } from "./launch";
import { affectsServer, configuration, initializationOptions, inlineEnabled, INLINE_ENABLE, needsRestart, SECTION } from "./settings";
import { ServerStatus, StatusBar } from "./status";

const POLL_MS = 1000;

export class Controller implements vscode.Disposable {
  private client?: LanguageClient;
  private poll?: NodeJS.Timeout;
  private refreshing = false;
  cli?: Cli;
  readonly partialAccepts = new PartialAccepts((method, params) => this.notify(method, params));

  constructor(readonly output: vscode.LogOutputChannel, readonly status: StatusBar) {}

  /** The iquest-lsp CLI the settings point at now. */
  resolveCli(): Cli {
    const config = configuration();
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const settings = { command: config.get<string[]>("server.command") ?? [], pythonPath: config.get<string>("server.pythonPath") ?? "" };
    return resolveCli(settings, nodeLaunchEnv(folders, vscode.workspace.isTrusted));
  }

  async start(): Promise<void> {
    this.cli = this.resolveCli();
    this.output.info(`starting ${this.cli.argv.join(" ")} serve --stdio (from ${this.cli.source})`);
    this.status.update({ client: "starting", startError: undefined, server: undefined, progress: [], inlineEnabled: inlineEnabled(configuration()) });
    const client = createClient(this.cli, this.output, {
      onProgress: (progress) => {
        this.status.update({ progress });
        this.schedulePoll(0);
      },
      onSuggestion: (latencyMs) => {
        this.status.update({ latencyMs });
        this.schedulePoll(0);
      },
      onItems: (document, position, items) => this.partialAccepts.remember(document, position, items),
    });
    client.onDidChangeState(({ newState }) => {
      if (newState === State.Stopped && this.client === client) {
        this.status.update({ client: "stopped", progress: [] });
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      const message = `iquest-lsp did not start (${this.cli.argv.join(" ")}): ${error instanceof Error ? error.message : String(error)}. ` +
        "Set iquest.server.command or iquest.server.pythonPath, or run scripts/dev.sh in the iquest-lsp repository.";
      this.output.error(message);
      this.status.update({ startError: message });
      return;
    }
    this.status.update({ client: "running" });
    this.schedulePoll(0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.poll);
    const client = this.client;
    this.client = undefined;
    if (client && client.state !== State.Stopped) {
      await client.stop().catch((error) => this.output.warn(`stopping the server: ${error}`));
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Run one of the server's workspace/executeCommand commands. */
  async execute<T>(command: string, args: unknown[] = []): Promise<T> {
    if (!this.client || this.client.state !== State.Running) {
      throw new Error("the iquest-lsp server is not running");
    }
    return (await this.client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args })) as T;
  }

  /** Send a notification when the server runs and suggestions are on; dropped otherwise. */
  notify(method: string, params: unknown): void {
    if (this.status.state.inlineEnabled) {
      this.send(method, params);
    }
  }

  /** Send a notification when the server runs; dropped otherwise. */
  send(method: string, params: unknown): void {
    if (this.client?.state === State.Running) {
      void this.client.sendNotification(method, params).catch((error) => this.output.warn(`${method}: ${error}`));
    }
  }

  /** Send a request when the server runs (undefined otherwise); the token cancels it ($/cancelRequest). */
  async request<R>(method: string, params: unknown, token: vscode.CancellationToken): Promise<R | undefined> {
    if (this.client?.state !== State.Running) {
      return undefined;
    }
    return this.client.sendRequest<R>(method, params, token);
  }

  /** The commands the server advertised. */
  serverCommands(): string[] {
    return this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  async configurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (event.affectsConfiguration(`${SECTION}.${INLINE_ENABLE}`)) {
      this.status.update({ inlineEnabled: inlineEnabled(configuration()) });
    }
    if (needsRestart(event)) {
      await this.restart();
    } else if (affectsServer(event) && this.client?.state === State.Running) {
      // The server reloads the model or re-indexes by itself when a setting needs it.
      await this.client.sendNotification("workspace/didChangeConfiguration", { settings: initializationOptions(configuration(), vscode.workspace.isTrusted) });
      this.schedulePoll(0);
    }
  }

  /** Fetch iquest.status soon; keep polling while the model is loading. */
  schedulePoll(delayMs: number): void {
    clearTimeout(this.poll);
    this.poll = setTimeout(() => void this.refresh(), delayMs);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || !this.client || this.client.state !== State.Running) {
      return;
    }
    this.refreshing = true;
    try {
      const server = await this.execute<ServerStatus>("iquest.status");
      if (server.state === "failed" && this.status.state.server?.state !== "failed") {
        this.output.error(`model: ${server.error ?? "failed to load"}`);
      }
      this.status.update({ server });
      if (server.state === "loading" || server.state === "not loaded" || this.status.state.progress.length > 0) {
        this.schedulePoll(POLL_MS);
      }
    } catch (error) {
      this.output.warn(`iquest.status: ${error}`);
    } finally {
      this.refreshing = false;
    }
  }

  dispose(): void {
    void this.stop();
  }
}
