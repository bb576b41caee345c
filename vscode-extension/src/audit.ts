// Where the server writes its audit log (mirrors lsp_server/paths.py state_dir and server.py).
import * as os from "node:os";
import * as path from "node:path";

export function auditLogPath(setting: string, env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const expand = (value: string) => (value === "~" || value.startsWith("~/") ? path.join(home, value.slice(1)) : value);
  if (setting.trim() !== "") {
    return expand(setting.trim());
  }
  if (env.IQUEST_STATE_DIR) {
    return path.join(expand(env.IQUEST_STATE_DIR), "audit.jsonl");
  }
  const stateHome = env.XDG_STATE_HOME ? expand(env.XDG_STATE_HOME) : path.join(home, ".local", "state");
  return path.join(stateHome, "iquest-lsp", "audit.jsonl");
}
