import assert from "node:assert/strict";
import { test } from "node:test";

import { render, StatusBar, StatusState } from "../src/status";
import { createdItems } from "./vscode-mock";

const base: StatusState = { client: "running", progress: [], inlineEnabled: true, server: { state: "ready", model: "qwen2.5-coder-0.5b" } };

test("progress shows its title and percentage", () => {
  const view = render({ ...base, progress: [{ title: "iquest: loading model", percent: 40, message: "Reading vocabulary" }] });
  assert.equal(view.text, "$(loading~spin) iquest: loading model 40%");
  assert.match(view.tooltip, /Reading vocabulary/);
  assert.equal(view.error, false);
});

test("ready shows the last suggestion's latency, and the model in the tooltip", () => {
  const view = render({ ...base, latencyMs: 311.6 });
  assert.equal(view.text, "$(sparkle) iquest 312 ms");
  assert.match(view.tooltip, /qwen2.5-coder-0.5b/);
  assert.equal(render(base).text, "$(sparkle) iquest");
});

test("a model that failed to load is an error that opens the output", () => {
  const view = render({ ...base, server: { state: "failed", error: "run `iquest-lsp model fetch qwen2.5-coder-0.5b`" } });
  assert.equal(view.error, true);
  assert.equal(view.command, "iquest.showOutput");
  assert.match(view.tooltip, /model fetch/);
});

test("a server that did not start is an error too", () => {
  const view = render({ ...base, client: "starting", server: undefined, startError: "spawn python3 ENOENT" });
  assert.equal(view.error, true);
  assert.match(view.tooltip, /ENOENT/);
});

test("loading, starting and off states", () => {
  assert.equal(render({ ...base, server: { state: "loading" } }).text, "$(loading~spin) iquest: loading model");
  assert.equal(render({ ...base, client: "starting", server: undefined }).text, "$(loading~spin) iquest: starting");
  assert.equal(render({ ...base, inlineEnabled: false }).text, "$(circle-slash) iquest: off");
});

test("the status bar item follows updates", () => {
  const bar = new StatusBar();
  const item = createdItems.at(-1)!;
  assert.equal(item.visible, true);
  bar.update({ client: "running", server: { state: "failed", error: "boom" } });
  assert.equal(item.text, "$(error) iquest");
  assert.equal(item.backgroundColor?.id, "statusBarItem.errorBackground");
  bar.update({ server: { state: "ready" }, latencyMs: 90 });
  assert.equal(item.text, "$(sparkle) iquest 90 ms");
  assert.equal(item.backgroundColor, undefined);
});
