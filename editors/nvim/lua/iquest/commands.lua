-- :Iquest status|reload|toggle|plan: the server's status, a restart, suggestions on/off, a refactor plan.
local clients = require("iquest.clients")
local suggestions = require("iquest.suggestions")

local M = {}

local function say(message, level)
  vim.notify("iquest: " .. message, level or vim.log.levels.INFO)
end

--- The client for the current buffer, or an error that says how to get one.
local function need_client()
  local client = clients.pick(vim.api.nvim_get_current_buf())
  if not client then
    error("no iquest client is running: open a file of a supported type (:checkhealth iquest)", 0)
  end
  return client
end

--- Run a workspace/executeCommand command of the server; on_result(result) on success.
local function execute(client, command, arguments, on_result)
  clients.call(client, "request", "workspace/executeCommand", { command = command, arguments = arguments },
    function(err, result)
      if err then
        say(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      else
        on_result(result)
      end
    end, vim.api.nvim_get_current_buf())
end

--- The status payload as a few lines of text.
function M.describe(status, bufnr)
  local lines = {}
  local model = status.model and string.format(" (%s, %s FIM)", status.model, status.fimFamily or "?") or ""
  table.insert(lines, "model " .. tostring(status.state) .. model)
  if status.error and status.error ~= vim.NIL then
    table.insert(lines, "error: " .. tostring(status.error))
  end
  local last = status.lastGeneration
  if type(last) == "table" then
    table.insert(lines, string.format("last suggestion: %s ms, %s prompt tokens, %s generated",
      last.totalMs, last.promptTokens, last.generatedTokens))
  end
  if type(status.completion) == "table" then
    table.insert(lines, string.format("suggestion requests: %s", status.completion.requests))
  end
  if type(status.index) == "table" then
    table.insert(lines, "index: " .. tostring(status.index.state))
  end
  table.insert(lines, string.format("suggestions: %s in this buffer (globally %s)",
    suggestions.enabled(bufnr) and "on" or "off", vim.g.iquest_suggestions == false and "off" or "on"))
  return table.concat(lines, "\n")
end

local subcommands = {}

--- :Iquest status: the server's iquest.status, summarized.
function subcommands.status()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = need_client()
  execute(client, "iquest.status", nil, function(status)
    local server = client.server_info or {}
    say(string.format("%s %s\n%s", server.name or "server", server.version or "", M.describe(status, bufnr)))
  end)
end

--- :Iquest reload: stop the client and start it again for the buffers it served.
function subcommands.reload()
  need_client()
  local count = #clients.get()
  clients.restart(function(buffers)
    say(string.format("restarted %d client(s) for %d buffer(s)", count, #buffers))
  end)
end

--- :Iquest toggle [global]: suggestions off/on for this buffer, or everywhere.
function subcommands.toggle(args)
  local scope = args[1] or "buffer"
  if scope ~= "buffer" and scope ~= "global" then
    error("toggle takes `buffer` (default) or `global`, not `" .. scope .. "`", 0)
  end
  local on = suggestions.toggle(scope, vim.api.nvim_get_current_buf())
  say(string.format("suggestions %s %s", on and "on" or "off", scope == "global" and "everywhere" or "in this buffer"))
end

--- :Iquest plan {goal}: the server's refactor plan for the goal, focused on this file; opens as markdown.
function subcommands.plan(args)
  local goal = table.concat(args, " ")
  if goal == "" then
    error("plan needs a goal, e.g. :Iquest plan split the parser out of main.py", 0)
  end
  local client = need_client()
  local commands = (client.server_capabilities.executeCommandProvider or {}).commands or {}
  if not vim.tbl_contains(commands, "iquest.refactorPlan") then
    error("this iquest-lsp server has no refactor plan command (iquest.refactorPlan); update iquest-lsp", 0)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local focus = vim.api.nvim_buf_get_name(bufnr) ~= "" and { vim.uri_from_bufnr(bufnr) } or {}
  say("writing a refactor plan…")
  execute(client, "iquest.refactorPlan", { { goal = goal, focus = focus } }, function(plan)
    if type(plan) ~= "table" or type(plan.markdown) ~= "string" then
      say("the server returned no refactor plan", vim.log.levels.WARN)
    elseif not plan.uri then -- the server opens it itself (window/showDocument) when it gives a uri
      local out = vim.api.nvim_create_buf(true, true)
      vim.api.nvim_buf_set_lines(out, 0, -1, false, vim.split(plan.markdown, "\n"))
      vim.bo[out].filetype = "markdown"
      vim.api.nvim_set_current_buf(out)
    end
  end)
end

M.names = { "status", "reload", "toggle", "plan" }

--- Run `:Iquest {args}`; unknown or bad input is an error that says what exists.
function M.run(line)
  local args = vim.split(vim.trim(line), "%s+", { trimempty = true })
  local name = table.remove(args, 1)
  local run = name and subcommands[name]
  if not run then
    local known = table.concat(M.names, ", ")
    say(name and ("unknown subcommand `" .. name .. "`; use one of: " .. known)
      or ("which subcommand? one of: " .. known), vim.log.levels.ERROR)
    return
  end
  local ok, err = pcall(run, args)
  if not ok then
    say(tostring(err), vim.log.levels.ERROR)
  end
end

--- Complete the subcommand, and `toggle`'s scope.
local function complete(lead, line)
  local before = vim.split(line, "%s+")
  if #before <= 2 then
    return vim.tbl_filter(function(name) return vim.startswith(name, lead) end, M.names)
  end
  if before[2] == "toggle" and #before == 3 then
    return vim.tbl_filter(function(name) return vim.startswith(name, lead) end, { "buffer", "global" })
  end
  return {}
end

--- Define :Iquest (calling again redefines it).
function M.create()
  vim.api.nvim_create_user_command("Iquest", function(opts)
    M.run(opts.args)
  end, { nargs = "*", complete = complete, desc = "iquest-lsp: status, reload, toggle [global], plan {goal}" })
end

return M
