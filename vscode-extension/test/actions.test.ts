import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { EditClient, runEditCommand } from "../src/actions";
import { answers, calls } from "./vscode-mock";

const serverEdit = { changes: { "file:///p/a.py": [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, newText: "new" }] } };
const accepted = { command: "iquest.accepted", arguments: [{ id: "p1", action: "rewrite" }] };

function fakeClient(): EditClient & { executed: [string, unknown[]][] } {
  const executed: [string, unknown[]][] = [];
  return {
    executed,
    asWorkspaceEdit: async (edit) => ({ converted: edit }) as never,
    execute: async (command, args) => void executed.push([command, args]),
  };
}

beforeEach(() => {
  calls.length = 0;
  answers.inputBox = undefined;
  answers.applyEdit = true;
});

test("rewrite asks for the instruction, applies the edit and records the acceptance", async () => {
  answers.inputBox = "use a list comprehension";
  const client = fakeClient();
  const sent: unknown[][] = [];
  await runEditCommand(client, "iquest.rewriteSelection", [{ uri: "file:///p/a.py" }], async (_command, args) => {
    sent.push(args);
    return { edit: serverEdit, accepted };
  });
  assert.deepEqual(sent, [[{ uri: "file:///p/a.py", instruction: "use a list comprehension" }]]);
  assert.deepEqual(calls.find(([name]) => name === "applyEdit")?.[1], { converted: serverEdit });
  assert.deepEqual(client.executed, [["iquest.accepted", accepted.arguments]]);
});

test("a cancelled instruction sends nothing", async () => {
  let sent = false;
  await runEditCommand(fakeClient(), "iquest.rewriteSelection", [{ uri: "file:///p/a.py" }], async () => {
    sent = true;
    return {};
  });
  assert.equal(sent, false);
});

test("no edit: a warning with the server's message, nothing applied", async () => {
  const client = fakeClient();
  await runEditCommand(client, "iquest.fixAndVerify", [{ uri: "file:///p/a.py" }], async () => ({ edit: null, message: "tests still fail" }));
  assert.deepEqual(calls, [["showWarningMessage", "iquest: tests still fail"]]);
  assert.deepEqual(client.executed, []);
});

test("an edit the user declines is not recorded as accepted", async () => {
  answers.applyEdit = false;
  const client = fakeClient();
  await runEditCommand(client, "iquest.proposeEdit", [{ goal: "rename" }], async () => ({ edit: serverEdit, accepted }));
  assert.deepEqual(client.executed, []);
});

test("a flagged edit is announced as a warning with its finding before the preview", async () => {
  const client = fakeClient();
  const title = "⚠ Security: a shell runs a command that is not a literal (line 4) — edit from a diff";
  await runEditCommand(client, "iquest.proposeEdit", [{ diff: "..." }], async () => ({
    edit: serverEdit,
    accepted,
    title,
    message: "Security findings: ...",
    scan: { outcome: "flagged" },
  }));
  assert.deepEqual(calls[0], ["showWarningMessage", `iquest: ${title}. Security findings: ...`]);
  assert.equal(calls.filter(([name]) => name === "showInformationMessage").length, 0);
  assert.deepEqual(client.executed, [["iquest.accepted", accepted.arguments]]);
});
