import assert from "node:assert/strict";
import { test } from "node:test";

import { GREW_CAPABILITY, GrewParams, GrownBlocks, showGrownBlock, SUGGESTION_GREW } from "../src/grown";
import { calls, Position, Selection } from "./vscode-mock";

const HIDE_THEN_TRIGGER: [string, unknown][] = [
  ["executeCommand", ["editor.action.inlineSuggest.hide"]],
  ["executeCommand", ["editor.action.inlineSuggest.trigger"]],
];

function editor(version: number, line: number, character: number, anchor = new Position(line, character)) {
  const active = new Position(line, character);
  const selection = new Selection(anchor, active);
  return { document: { uri: { toString: () => "file:///w/stats.py" }, version }, selection, selections: [selection] };
}

const grew: GrewParams = { textDocument: { uri: "file:///w/stats.py", version: 3 }, position: { line: 2, character: 4 } };

test("the ghost text is hidden and asked for again where the block grew", async () => {
  calls.length = 0;
  assert.equal(showGrownBlock(grew, editor(3, 2, 4) as never), true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, HIDE_THEN_TRIGGER);
});

test("not after an edit, a move, a selection, in another file or with no editor", async () => {
  calls.length = 0;
  assert.equal(showGrownBlock(grew, editor(4, 2, 4) as never), false);
  assert.equal(showGrownBlock(grew, editor(3, 2, 5) as never), false);
  assert.equal(showGrownBlock(grew, editor(3, 3, 4) as never), false);
  assert.equal(showGrownBlock(grew, editor(3, 2, 4, new Position(2, 0)) as never), false);
  assert.equal(showGrownBlock({ ...grew, textDocument: { uri: "file:///w/other.py", version: 3 } }, editor(3, 2, 4) as never), false);
  assert.equal(showGrownBlock(grew, undefined), false);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(calls, []);
});

test("the client says it takes the notification and listens for it", () => {
  const handlers: string[] = [];
  const feature = new GrownBlocks({ onNotification: (method: string) => handlers.push(method) });
  const capabilities: { experimental?: unknown } = { experimental: { other: 1 } };
  feature.fillClientCapabilities(capabilities as never);
  assert.deepEqual(capabilities.experimental, { other: 1, [GREW_CAPABILITY]: true });
  feature.initialize();
  assert.deepEqual(handlers, [SUGGESTION_GREW]);
});
