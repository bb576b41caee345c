import assert from "node:assert/strict";
import { test } from "node:test";

import { DID_CHANGE_VISIBLE_RANGE, followVisibleRange } from "../src/cursor";
import { editorListeners } from "./vscode-mock";

function editor(languageId: string) {
  return { document: { languageId, uri: { toString: () => "file:///w/app.py" } } };
}

const range = (start: number, end: number) => ({ start: { line: start, character: 0 }, end: { line: end, character: 0 } });

test("a scroll that comes to rest sends the lines in view, once", async () => {
  const sent: [string, unknown][] = [];
  const following = followVisibleRange((method, params) => sent.push([method, params]));
  for (const top of [10, 20, 30]) {
    editorListeners.visibleRanges.forEach((fire) => fire({ textEditor: editor("python"), visibleRanges: [range(top, top + 40)] }));
  }
  await new Promise((resolve) => setTimeout(resolve, 400));
  following.dispose();
  assert.deepEqual(sent, [[DID_CHANGE_VISIBLE_RANGE, { textDocument: { uri: "file:///w/app.py" }, range: range(30, 70) }]]);
  assert.equal(editorListeners.visibleRanges.length, 0);
});

test("views of other languages and folded views are handled", async () => {
  const sent: unknown[] = [];
  const following = followVisibleRange((method, params) => sent.push(params));
  editorListeners.visibleRanges.forEach((fire) => fire({ textEditor: editor("plaintext"), visibleRanges: [range(0, 40)] }));
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.deepEqual(sent, []);
  editorListeners.visibleRanges.forEach((fire) => fire({ textEditor: editor("python"), visibleRanges: [range(0, 10), range(50, 80)] }));
  await new Promise((resolve) => setTimeout(resolve, 400));
  following.dispose();
  assert.deepEqual(sent, [{ textDocument: { uri: "file:///w/app.py" }, range: range(0, 80) }]);
});
