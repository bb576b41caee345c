import assert from "node:assert/strict";
import { test } from "node:test";

import { auditLogPath } from "../src/audit";

test("the audit log path follows the setting, then IQUEST_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", () => {
  assert.equal(auditLogPath("~/logs/audit.jsonl", {}, "/home/me"), "/home/me/logs/audit.jsonl");
  assert.equal(auditLogPath("", { IQUEST_STATE_DIR: "/var/iq" }, "/home/me"), "/var/iq/audit.jsonl");
  assert.equal(auditLogPath("", { XDG_STATE_HOME: "/x/state" }, "/home/me"), "/x/state/iquest-lsp/audit.jsonl");
  assert.equal(auditLogPath("", {}, "/home/me"), "/home/me/.local/state/iquest-lsp/audit.jsonl");
});
