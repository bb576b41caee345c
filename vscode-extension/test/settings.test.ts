import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { beforeEach, test } from "node:test";

import { affectsServer, initializationOptions, inlineEnabled, needsRestart, SERVER_SETTINGS } from "../src/settings";
import { changeEvent, configurationValues, workspace } from "./vscode-mock";

const contributed = JSON.parse(readFileSync("package.json", "utf8")).contributes.configuration.properties as Record<string, { default: unknown }>;

beforeEach(() => {
  for (const key of Object.keys(configurationValues)) {
    delete configurationValues[key];
  }
});

/** What VS Code's getConfiguration returns: the user's value, else the contributed default. */
function withDefaults(user: Record<string, unknown>) {
  for (const [key, schema] of Object.entries(contributed)) {
    configurationValues[key] = key in user ? user[key] : schema.default;
  }
}

test("initialization options carry every server setting under iquest and nothing of the extension's own", () => {
  withDefaults({ "iquest.model": "smollm2-135m", "iquest.exclude": ["dist/**"], "iquest.server.pythonPath": "/usr/bin/python3" });
  const options = initializationOptions(workspace.getConfiguration("iquest"));
  assert.deepEqual(Object.keys(options), ["iquest"]);
  assert.deepEqual(Object.keys(options.iquest).sort(), [...SERVER_SETTINGS].sort());
  assert.equal(options.iquest.model, "smollm2-135m");
  assert.deepEqual(options.iquest.exclude, ["dist/**"]);
  assert.equal(options.iquest.contextSize, 4096);
  assert.equal("server.pythonPath" in options.iquest, false);
  assert.equal("inlineSuggestions.enable" in options.iquest, false);
});

test("an untrusted workspace gets no self-verification, whatever the settings say", () => {
  withDefaults({ "iquest.selfVerify": true, "iquest.testCommand": ".venv/bin/pytest -x" });
  const trusted = initializationOptions(workspace.getConfiguration("iquest"), true).iquest;
  assert.equal(trusted.selfVerify, true);
  assert.equal(trusted.testCommand, ".venv/bin/pytest -x");
  const untrusted = initializationOptions(workspace.getConfiguration("iquest"), false).iquest;
  assert.equal(untrusted.selfVerify, false);
  assert.equal(untrusted.testCommand, "");
  assert.equal(untrusted.model, trusted.model);
});

test("unset values are left out rather than sent as null", () => {
  configurationValues["iquest.model"] = "qwen2.5-coder-0.5b";
  configurationValues["iquest.threads"] = null;
  assert.deepEqual(initializationOptions(workspace.getConfiguration("iquest")), { iquest: { model: "qwen2.5-coder-0.5b" } });
});

test("every server setting is contributed to VS Code's settings", () => {
  for (const name of SERVER_SETTINGS) {
    assert.ok(`iquest.${name}` in contributed, `iquest.${name} is missing from package.json`);
  }
});

test("only launch settings restart the server; model settings go to the server, which reloads by itself", () => {
  assert.equal(needsRestart(changeEvent("iquest.server.command")), true);
  assert.equal(needsRestart(changeEvent("iquest.server.pythonPath")), true);
  assert.equal(needsRestart(changeEvent("iquest.server.env")), true);
  assert.equal(needsRestart(changeEvent("iquest.model")), false);
  assert.equal(needsRestart(changeEvent("iquest.contextSize")), false);
  assert.equal(affectsServer(changeEvent("iquest.contextSize")), true);
  assert.equal(affectsServer(changeEvent("iquest.inlineSuggestions.enable")), false);
  assert.equal(affectsServer(changeEvent("editor.fontSize")), false);
});

test("inline suggestions are on unless switched off", () => {
  assert.equal(inlineEnabled(workspace.getConfiguration("iquest")), true);
  configurationValues["iquest.inlineSuggestions.enable"] = false;
  assert.equal(inlineEnabled(workspace.getConfiguration("iquest")), false);
});
