-- Headless Neovim session for tests/editors/test_neovim.py: editors/nvim as a plugin on the runtimepath,
-- vim.lsp.enable("iquest"), then each :Iquest subcommand; what happened is written as JSON.
local env = vim.env
vim.opt.runtimepath:prepend(env.IQUEST_NVIM_CONFIG)
vim.cmd("runtime! plugin/iquest.lua")

local result = { nvim = tostring(vim.version()), steps = {}, notes = {} }
local notes = result.notes
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
end

local finish = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua").finisher(result)

--- Run an Ex command and wait for the notification it leads to (matching pattern); returns it.
local function command(line, pattern, timeout)
  local before = #notes
  vim.cmd(line)
  local found
  vim.wait(timeout or 10000, function()
    for i = before + 1, #notes do
      if notes[i].message:find(pattern) then
        found = notes[i]
        return true
      end
    end
    return false
  end, 20)
  return found and { message = found.message, level = found.level } or { missing = pattern, line = line }
end

local function status(client, bufnr)
  local reply = client:request_sync("workspace/executeCommand", { command = "iquest.status" }, 30000, bufnr)
  return reply and reply.result
end

--- Ask for a completion and an inline completion at the end of the buffer; what came back and how many
--- suggestion requests the server counted meanwhile.
local function suggest(client, bufnr)
  local before = status(client, bufnr).completion.requests
  local last = vim.api.nvim_buf_line_count(bufnr)
  local text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1]
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = last - 1, character = #text } }
  local completion = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", params, 120000)
  params.context = { triggerKind = 1 }
  local inline = vim.lsp.buf_request_sync(bufnr, "textDocument/inlineCompletion", params, 120000)
  local function items(replies)
    local reply = replies and replies[client.id]
    return reply and reply.result and reply.result.items and #reply.result.items or -1
  end
  return {
    completionItems = items(completion),
    inlineItems = items(inline),
    serverRequests = status(client, bufnr).completion.requests - before,
  }
end

local ok, err = pcall(function()
  vim.lsp.config("iquest", {
    cmd = vim.json.decode(env.IQUEST_NVIM_CMD),
    init_options = { iquest = vim.json.decode(env.IQUEST_NVIM_SETTINGS) },
  })
  vim.lsp.enable("iquest")
  vim.cmd("filetype on")
  vim.cmd.edit(vim.fn.fnameescape(env.IQUEST_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  local client
  assert(vim.wait(30000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = "iquest" })[1]
    return client ~= nil and client.initialized == true
  end, 50), "vim.lsp.enable('iquest') attached no client to the buffer")
  result.client = { id = client.id, rootDir = client.root_dir, serverInfo = client.server_info }
  table.insert(result.steps, "attached")

  local deadline = vim.uv.now() + 180000
  repeat
    result.status = status(client, bufnr)
    if result.status and (result.status.state == "ready" or result.status.state == "failed") then
      break
    end
    vim.wait(200)
  until vim.uv.now() > deadline

  result.statusNote = command("Iquest status", "^iquest: ")
  result.suggestOn = suggest(client, bufnr)
  result.toggleOff = command("Iquest toggle", "suggestions")
  result.suggestOffBuffer = suggest(client, bufnr)
  result.toggleOn = command("Iquest toggle", "suggestions")
  result.suggestOnAgain = suggest(client, bufnr)
  result.toggleGlobalOff = command("Iquest toggle global", "suggestions")
  result.suggestOffGlobal = suggest(client, bufnr)
  result.statusWhileOff = command("Iquest status", "^iquest: ")
  result.toggleGlobalOn = command("Iquest toggle global", "suggestions")
  table.insert(result.steps, "toggle")

  result.unknown = command("Iquest frobnicate", "frobnicate")
  result.bare = command("Iquest", "subcommand")
  result.badScope = command("Iquest toggle sideways", "sideways")
  result.planWithoutGoal = command("Iquest plan", "plan needs a goal")
  result.completions = vim.fn.getcompletion("Iquest ", "cmdline")

  -- The server writes the plan to a file and asks Neovim to show it (window/showDocument).
  local plan_started = command("Iquest plan add a docstring to every function", "refactor plan")
  result.planStarted = plan_started
  local plan_buffer
  vim.wait(240000, function()
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(buf):match("%.md$") or vim.bo[buf].filetype == "markdown" then
        plan_buffer = buf
        return true
      end
    end
    for _, note in ipairs(notes) do
      if note.message:find("failed") or note.message:find("no refactor plan") then
        return true
      end
    end
    return false
  end, 100)
  if plan_buffer then
    result.plan = {
      name = vim.api.nvim_buf_get_name(plan_buffer),
      text = table.concat(vim.api.nvim_buf_get_lines(plan_buffer, 0, -1, false), "\n"),
    }
  end
  table.insert(result.steps, "plan")

  vim.cmd.buffer(bufnr)
  result.reloadNote = command("Iquest reload", "restarted", 30000)
  local again
  vim.wait(30000, function()
    again = vim.lsp.get_clients({ bufnr = bufnr, name = "iquest" })[1]
    return again ~= nil and again.id ~= client.id and again.initialized == true
  end, 50)
  result.reloaded = again and {
    id = again.id,
    oldStopped = client:is_stopped(),
    running = #vim.lsp.get_clients({ name = "iquest" }),
    serverInfo = again.server_info,
  }
  table.insert(result.steps, "reload")
end)
finish(not ok and tostring(err) or nil)
