import assert from "node:assert/strict";
import { test } from "node:test";

import { Offered, partialAcceptance } from "../src/acceptance";
import { render, StatusState } from "../src/status";

const command = { title: "Record acceptance", command: "iquest.accepted", arguments: [{ id: "a-1", kind: "inline" }] };
const offer = (text: string, character: number, id: string): Offered => ({
  uri: "file:///a.py",
  line: 3,
  character,
  text,
  command: { ...command, arguments: [{ id, kind: "inline" }] },
});

test("the newest item whose start was inserted is the one partially accepted, in UTF-16 units", () => {
  const older = offer("return a😀 + b", 4, "a-1");
  const newer = offer(" + b", 13, "a-2");
  const inserted: Record<string, string> = { "a-1": "return a😀", "a-2": "" };
  const found = partialAcceptance([older, newer], (item) => inserted[(item.command.arguments?.[0] as { id: string }).id]);
  assert.equal(found?.item, older);
  assert.equal(found?.acceptedLength, 10); // the emoji is two UTF-16 units
});

test("text that is not the start of any item is nobody's acceptance", () => {
  assert.equal(partialAcceptance([offer("return a", 4, "a-1")], () => "print"), undefined);
  assert.equal(partialAcceptance([offer("return a", 4, "a-1")], () => undefined), undefined);
});

test("the tooltip shows today's acceptance rate from iquest.status", () => {
  const state: StatusState = {
    client: "running",
    progress: [],
    inlineEnabled: true,
    server: { state: "ready", completion: { acceptance: { shown: 8, accepted: 1, partiallyAccepted: 1, acceptanceRate: 0.25 } } },
  };
  assert.match(render(state).tooltip, /today: 25% accepted \(2 of 8 suggestions, 1 in part\)/);
  assert.doesNotMatch(render({ ...state, server: { state: "ready" } }).tooltip, /today/);
});
