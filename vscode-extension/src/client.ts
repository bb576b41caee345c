// The LanguageClient for iquest-lsp: stdio launch, init options, middleware, progress into the status bar.
import * as vscode from "vscode";
import {
  ClientCapabilities,
  ExecuteCommandRequest,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  ServerCapabilities,
  ServerOptions,
  StaticFeature,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  WorkspaceEdit,
} from "vscode-languageclient/node";

import { EDIT_COMMANDS, runEditCommand } from "./actions";
import { GrownBlocks } from "./grown";
import { Cli, serveCommand } from "./launch";
import { LANGUAGES } from "./languages";
import { configuration, initializationOptions, inlineEnabled } from "./settings";
import { Progress } from "./status";

export interface ClientHooks {
  /** Work-done progress: a list of the running ones, in start order. */
  onProgress(progress: Progress[]): void;
  /** A suggestion with items reached the editor after this many milliseconds. */
  onSuggestion(latencyMs: number): void;
  /** The items of an inline answer, where they were asked for. */
  onItems(document: vscode.TextDocument, position: vscode.Position, items: readonly vscode.InlineCompletionItem[]): void;
}

/** Takes over window/workDoneProgress/create so the server's progress shows in our status bar item. */
class ProgressToStatusBar implements StaticFeature {
  private readonly running = new Map<string | number, Progress>();

  constructor(private readonly client: LanguageClient, private readonly hooks: ClientHooks) {}

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    // Registered after the built-in ProgressFeature, so this handler replaces its notification UI.
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      const listener = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === "end") {
          this.running.delete(token);
          listener.dispose();
        } else {
          const previous = this.running.get(token);
          this.running.set(token, {
            title: value.kind === "begin" ? value.title : previous?.title ?? "working",
            percent: value.percentage ?? previous?.percent,
            message: value.message ?? previous?.message,
          });
        }
        this.hooks.onProgress([...this.running.values()]);
      });
    });
  }

  getState(): FeatureState {
    return { kind: "static" };
  }

  clear(): void {
    this.running.clear();
    this.hooks.onProgress([]);
  }
}

/**
 * VS Code shows our suggestion as ghost text. The completion-list fallback is left unregistered: its
 * trigger characters would open the suggest widget (which hides ghost text) and each of its requests
 * would supersede the inline request the server is answering.
 */
class GhostTextOnly implements StaticFeature {
  fillClientCapabilities(): void {}

  preInitialize(capabilities: ServerCapabilities): void {
    // Runs before any feature's initialize, on the object they read: the completion feature sees no provider.
    delete capabilities.completionProvider;
  }

  initialize(): void {}

  getState(): FeatureState {
    return { kind: "static" };
  }

  clear(): void {}
}

export function createClient(cli: Cli, output: vscode.LogOutputChannel, hooks: ClientHooks): LanguageClient {
  const { command, args } = serveCommand(cli);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const env = { ...process.env, ...(configuration().get<Record<string, string>>("server.env") ?? {}) };
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio, options: { cwd: folder, env } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: "file", language },
      { scheme: "untitled", language },
    ]),
    outputChannel: output,
    initializationOptions: initializationOptions(configuration(), vscode.workspace.isTrusted),
    middleware: {
      async provideInlineCompletionItems(document, position, context, token, next) {
        if (!inlineEnabled(configuration())) {
          return undefined;
        }
        const started = Date.now();
        const result = await next(document, position, context, token);
        const items = Array.isArray(result) ? result : result?.items ?? [];
        if (items.length > 0 && !token.isCancellationRequested) {
          hooks.onSuggestion(Date.now() - started);
          hooks.onItems(document, position, items);
        }
        return result;
      },
      executeCommand(command, args, next) {
        if (!EDIT_COMMANDS.has(command)) {
          return next(command, args);
        }
        const editClient = {
          asWorkspaceEdit: (edit: WorkspaceEdit) => client.protocol2CodeConverter.asWorkspaceEdit(edit),
          execute: (name: string, rest: unknown[]) => client.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: rest }),
        };
        return runEditCommand(editClient, command, args, async (c, a) => next(c, a));
      },
    },
  };
  const client = new LanguageClient("iquest", "iquest-lsp", serverOptions, clientOptions);
  client.registerFeature(new ProgressToStatusBar(client, hooks));
  client.registerFeature(new GhostTextOnly());
  client.registerFeature(new GrownBlocks(client));
  return client;
}
