import assert from "node:assert/strict";
import { test } from "node:test";

import { LaunchEnv, resolveCli, serveCommand } from "../src/launch";

function env(files: string[] = [], onPath: Record<string, string> = {}, folders = ["/home/me/iquest-lsp"], trusted = true): LaunchEnv {
  return {
    workspaceFolders: folders,
    trusted,
    home: "/home/me",
    platform: "linux",
    isFile: (file) => files.includes(file),
    which: (name) => onPath[name],
  };
}

const none = { command: [], pythonPath: "" };

test("an explicit command wins, with ~ and ${workspaceFolder} expanded", () => {
  const cli = resolveCli({ command: ["~/bin/iquest-lsp", "--log-level", "DEBUG"], pythonPath: "/usr/bin/python3" }, env());
  assert.deepEqual(cli, { argv: ["/home/me/bin/iquest-lsp", "--log-level", "DEBUG"], source: "setting" });
  assert.deepEqual(resolveCli({ command: ["${workspaceFolder}/.venv/bin/iquest-lsp"], pythonPath: "" }, env()).argv, [
    "/home/me/iquest-lsp/.venv/bin/iquest-lsp",
  ]);
});

test("a Python interpreter runs the lsp_server module", () => {
  assert.deepEqual(resolveCli({ command: [" "], pythonPath: "/opt/py/bin/python" }, env(["/home/me/iquest-lsp/.venv/bin/iquest-lsp"])), {
    argv: ["/opt/py/bin/python", "-m", "lsp_server"],
    source: "pythonPath",
  });
});

test("the repository's .venv is found in a workspace folder or one of its parents", () => {
  const venv = "/home/me/iquest-lsp/.venv/bin/iquest-lsp";
  assert.deepEqual(resolveCli(none, env([venv])), { argv: [venv], source: "workspace venv" });
  assert.deepEqual(resolveCli(none, env([venv], {}, ["/home/me/iquest-lsp/lsp_server/features"])).argv, [venv]);
});

test("an untrusted workspace's .venv is never run: PATH or python3 -m lsp_server instead", () => {
  const venv = "/home/me/iquest-lsp/.venv/bin/iquest-lsp";
  assert.deepEqual(resolveCli(none, env([venv], {}, ["/home/me/iquest-lsp"], false)), { argv: ["python3", "-m", "lsp_server"], source: "fallback" });
  assert.deepEqual(resolveCli(none, env([venv], { "iquest-lsp": "/usr/local/bin/iquest-lsp" }, ["/home/me/iquest-lsp"], false)).source, "PATH");
});

test("then iquest-lsp on PATH, then python3 -m lsp_server", () => {
  assert.deepEqual(resolveCli(none, env([], { "iquest-lsp": "/usr/local/bin/iquest-lsp" })), { argv: ["/usr/local/bin/iquest-lsp"], source: "PATH" });
  assert.deepEqual(resolveCli(none, env()), { argv: ["python3", "-m", "lsp_server"], source: "fallback" });
});

test("the server is started with serve --stdio", () => {
  assert.deepEqual(serveCommand({ argv: ["python3", "-m", "lsp_server"], source: "fallback" }), {
    command: "python3",
    args: ["-m", "lsp_server", "serve", "--stdio"],
  });
});
