// Which iquest-lsp command line to run: a setting, a Python interpreter, the repo's .venv (trusted workspaces only), PATH, or python -m.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The iquest-lsp CLI as argv without a subcommand, and where it came from. */
export interface Cli {
  argv: string[];
  source: "setting" | "pythonPath" | "workspace venv" | "PATH" | "fallback";
}

export interface LaunchSettings {
  command: string[];
  pythonPath: string;
}

/** What resolution looks at; injected so tests need no real files. */
export interface LaunchEnv {
  workspaceFolders: string[];
  /** Whether the user trusts the workspace: an untrusted one's .venv is never run. */
  trusted: boolean;
  home: string;
  platform: NodeJS.Platform;
  isFile(file: string): boolean;
  which(name: string): string | undefined;
}

/** Expand ~ and ${workspaceFolder} (the first folder) in a setting value. */
export function expand(value: string, env: LaunchEnv): string {
  let result = value.replace(/\$\{workspaceFolder\}/g, env.workspaceFolders[0] ?? "");
  if (result === "~" || result.startsWith("~/")) {
    result = path.join(env.home, result.slice(1));
  }
  return result;
}

function venvCli(folder: string, platform: NodeJS.Platform): string {
  return platform === "win32"
    ? path.join(folder, ".venv", "Scripts", "iquest-lsp.exe")
    : path.join(folder, ".venv", "bin", "iquest-lsp");
}

/** The workspace folders and their ancestors, nearest first: the repo may be opened at a subfolder. */
function searchFolders(folders: string[]): string[] {
  const seen: string[] = [];
  for (const folder of folders) {
    for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
      if (!seen.includes(dir)) {
        seen.push(dir);
      }
      if (path.dirname(dir) === dir) {
        break;
      }
    }
  }
  return seen;
}

export function resolveCli(settings: LaunchSettings, env: LaunchEnv): Cli {
  const command = settings.command.filter((part) => part.trim() !== "");
  if (command.length > 0) {
    return { argv: [expand(command[0], env), ...command.slice(1)], source: "setting" };
  }
  if (settings.pythonPath.trim() !== "") {
    return { argv: [expand(settings.pythonPath.trim(), env), "-m", "lsp_server"], source: "pythonPath" };
  }
  for (const folder of env.trusted ? searchFolders(env.workspaceFolders) : []) {
    const candidate = venvCli(folder, env.platform);
    if (env.isFile(candidate)) {
      return { argv: [candidate], source: "workspace venv" };
    }
  }
  const onPath = env.which(env.platform === "win32" ? "iquest-lsp.exe" : "iquest-lsp");
  if (onPath) {
    return { argv: [onPath], source: "PATH" };
  }
  return { argv: [env.platform === "win32" ? "python" : "python3", "-m", "lsp_server"], source: "fallback" };
}

/** The command and arguments that start the language server over stdio. */
export function serveCommand(cli: Cli): { command: string; args: string[] } {
  return { command: cli.argv[0], args: [...cli.argv.slice(1), "serve", "--stdio"] };
}

/** A LaunchEnv over the real file system and PATH. */
export function nodeLaunchEnv(workspaceFolders: string[], trusted: boolean): LaunchEnv {
  const isFile = (file: string): boolean => {
    try {
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  };
  return {
    workspaceFolders,
    trusted,
    home: os.homedir(),
    platform: process.platform,
    isFile,
    which: (name) =>
      (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((dir) => dir !== "")
        .map((dir) => path.join(dir, name))
        .find(isFile),
  };
}
