-- :checkhealth iquest: Neovim, the server executable and its version, the model, the LSP client.
local clients = require("iquest.clients")

local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

--- Run argv and return (exit code, output); vim.system where it exists (a timeout), else system().
local function run(argv, env)
  if vim.system then
    local done = vim.system(argv, { text = true, env = env, timeout = 60000 }):wait()
    return done.code, (done.stdout or "") .. (done.stderr or "")
  end
  local output = vim.fn.system(argv)
  return vim.v.shell_error, output
end

local function check_neovim()
  start("Neovim")
  local v = vim.version() -- a plain table before 0.9: no tostring()
  local version = string.format("%d.%d.%d", v.major, v.minor, v.patch)
  if vim.fn.has("nvim-0.8") == 0 then
    error("Neovim " .. version .. " is too old", { "Install Neovim 0.8 or newer (0.11+ for vim.lsp.enable)" })
  elseif vim.fn.has("nvim-0.11") == 0 then
    warn("Neovim " .. version .. ": works through require('iquest').setup(); vim.lsp.enable('iquest') needs 0.11+")
  else
    ok("Neovim " .. version .. ": vim.lsp.config / vim.lsp.enable('iquest') available")
  end
  if vim.lsp.inline_completion then
    ok("native inline ghost text (vim.lsp.inline_completion)")
  else
    info("no native ghost text before Neovim 0.12: suggestions come as a completion item (textDocument/completion)")
  end
end

--- The iquest-lsp CLI argv behind a serve command: everything before "serve".
local function cli_of(cmd)
  local argv = {}
  for _, part in ipairs(cmd) do
    if part == "serve" then
      break
    end
    table.insert(argv, part)
  end
  return argv
end

--- The server executable and its doctor report; returns the doctor output (nil when it could not run).
local function check_server(config)
  start("iquest-lsp server")
  if type(config.cmd) ~= "table" then
    info("cmd is a function; the server executable cannot be checked")
    return nil
  end
  local cli = cli_of(config.cmd)
  local executable = vim.fn.exepath(cli[1] or "")
  if executable == "" then
    error("server executable not found: " .. tostring(cli[1]), {
      "Run `scripts/dev.sh demo` in the iquest-lsp repository and point cmd at its .venv/bin/iquest-lsp",
      "e.g. vim.lsp.config('iquest', { cmd = { vim.fn.expand('~/iquest-lsp/.venv/bin/iquest-lsp'), 'serve', '--stdio' } })",
    })
    return nil
  end
  ok("server executable: " .. executable .. " (cmd: " .. table.concat(config.cmd, " ") .. ")")
  local settings = (config.init_options or {}).iquest or {}
  local argv = vim.list_extend(vim.deepcopy(cli), { "doctor" })
  if type(settings.model) == "string" and settings.model ~= "" then
    vim.list_extend(argv, { "--model", settings.model })
  end
  local env = nil
  if type(settings.modelsDir) == "string" and settings.modelsDir ~= "" then
    env = { IQUEST_MODEL_DIR = vim.fn.expand(settings.modelsDir) }
  end
  local code, output = run(argv, env)
  local version = output:match("iquest%-lsp (%S+)")
  if not version then
    error("`" .. table.concat(argv, " ") .. "` failed (exit " .. code .. "): " .. vim.trim(output):sub(1, 400), {
      "cmd must start iquest-lsp (the CLI or `python -m lsp_server`); run `scripts/dev.sh demo` to install it",
    })
    return nil
  end
  ok("iquest-lsp " .. version)
  for _, package in ipairs({ "llama-cpp-python", "llama.cpp GPU offload" }) do
    local line = output:match(vim.pesc(package) .. ": ([^\n]+)")
    if line then
      info(package .. ": " .. line)
    end
  end
  return output
end

--- The model the server will load, from the doctor's report.
local function check_model(output)
  start("Model")
  local model = output:match("\nmodel: ([^\n]+)")
  if model then
    info("model: " .. model)
  end
  local state = output:match("\nmodel state: ([^\n]+)")
  local problems = 0
  for problem in output:gmatch("PROBLEM: ([^\n]+)") do
    problems = problems + 1
    local message, fix = problem:match("^(.-)%s*Fix: (.+)$")
    error(message or problem, fix and { fix } or nil)
  end
  if state then
    ok("model " .. state)
  elseif problems == 0 then
    warn("the doctor did not report the model's state", { "Run `iquest-lsp doctor` in a terminal" })
  end
end

--- The running clients, their buffers and the server's own status.
local function check_clients(config)
  start("LSP client")
  local running = clients.get()
  if #running == 0 then
    warn("no iquest client is running", {
      "Open a file of one of these types: " .. table.concat(config.filetypes or {}, ", "),
      "Configure it with require('iquest').setup({...}) or, on 0.11+, vim.lsp.enable('iquest')",
    })
    return
  end
  for _, client in ipairs(running) do
    local names = {}
    for bufnr in pairs(client.attached_buffers) do
      table.insert(names, vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":~:."))
    end
    local server = client.server_info or {}
    local label = string.format("client %d (%s %s, root %s)", client.id, server.name or "?", server.version or "?",
      client.root_dir or "none")
    if #names == 0 then
      warn(label .. " is attached to no buffer")
    else
      ok(label .. " attached to " .. table.concat(names, ", "))
    end
    local reply = clients.call(client, "request_sync", "workspace/executeCommand", { command = "iquest.status" }, 5000)
    local status = reply and reply.result
    if type(status) ~= "table" then
      warn("the server did not answer iquest.status within 5 s")
    elseif status.state == "failed" then
      error("the server could not load the model: " .. tostring(status.error), { "See the Model section above" })
    else
      ok("server model state: " .. tostring(status.state) .. (status.model and (" (" .. status.model .. ")") or ""))
    end
  end
end

function M.check()
  check_neovim()
  local config = clients.config()
  if not config then
    start("iquest-lsp server")
    error("iquest is not configured", {
      "Call require('iquest').setup({...}) or, on Neovim 0.11+, vim.lsp.enable('iquest') with editors/nvim on the runtimepath",
    })
    return
  end
  local output = check_server(config)
  if output then
    check_model(output)
  end
  check_clients(config)
end

return M
