-- Headless Neovim 0.12+ session for tests/editors/test_neovim.py: editors/nvim's setup() with 0.12's own inline
-- completion UI. Keys are typed (nvim_input), so it runs with -S: the main loop enters Insert mode and processes
-- them while this script's coroutine waits. It reads the ghost text from 0.12's extmarks, takes a word with
-- <M-Right>, cycles with <M-]>, accepts with <Tab>, then runs :checkhealth iquest; writes JSON.
local env = vim.env
vim.opt.runtimepath:prepend(env.IQUEST_NVIM_CONFIG)

local result = { nvim = tostring(vim.version()), rounds = 0 }

local driver = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua")
local finish = driver.finisher(result)

local session

--- Let the main loop run (typed keys, LSP replies, timers) for `ms`, then go on.
local function sleep(ms)
  vim.defer_fn(function()
    local ok, err = coroutine.resume(session)
    if not ok then
      finish(debug.traceback(session, tostring(err)))
    end
  end, ms)
  coroutine.yield()
end

--- The value `check` returns once it is truthy; an error saying `what` after `timeout` ms.
local function wait_for(what, timeout, check)
  local deadline = vim.uv.now() + timeout
  while true do
    local value = check()
    if value then
      return value
    end
    assert(vim.uv.now() < deadline, what)
    sleep(100)
  end
end

local _, bufnr, client = driver.attach()
local namespace = vim.api.nvim_get_namespaces()["nvim.lsp.inline_completion"]

--- 0.12's ghost text in the buffer: where its extmark is, the text it shows and the " (i/n)" hint select() adds.
local function ghost()
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, namespace, 0, -1, { details = true })
  if #marks == 0 then
    return nil
  end
  local details, hint = marks[1][4], nil
  local function text_of(chunks)
    local parts = {}
    for _, chunk in ipairs(chunks) do
      if chunk[2] == "ComplHintMore" then
        hint = chunk[1]
      else
        table.insert(parts, chunk[1])
      end
    end
    return table.concat(parts)
  end
  local lines = { text_of(details.virt_text or {}) }
  for _, line in ipairs(details.virt_lines or {}) do
    table.insert(lines, text_of(line))
  end
  return { marks = #marks, row = marks[1][2], col = marks[1][3], text = table.concat(lines, "\n"), hint = hint }
end

local function status()
  local reply = client:request_sync("workspace/executeCommand", { command = "iquest.status" }, 30000, bufnr)
  return reply and reply.result
end

-- Answers to 0.12's own textDocument/inlineCompletion requests (LspRequest fires after their handler ran).
local answers = 0
vim.api.nvim_create_autocmd("LspRequest", {
  callback = function(args)
    local request = args.data.request
    if request.type == "complete" and request.method == "textDocument/inlineCompletion" then
      answers = answers + 1
    end
  end,
})

session = coroutine.create(function()
  result.inlineEnabled = vim.lsp.inline_completion.is_enabled({ bufnr = bufnr })
  wait_for("the model never loaded", 180000, function()
    local current = status()
    return current ~= nil and (current.state == "ready" or current.state == "failed")
  end)

  -- Insert mode at the end of the last line (the body of a function): 0.12 asks by itself and shows ghost text.
  local last = vim.api.nvim_buf_line_count(bufnr)
  vim.api.nvim_win_set_cursor(0, { last, 0 })
  vim.api.nvim_input("A")
  result.first = wait_for("no ghost text", 180000, function()
    local shown = ghost()
    return answers > 0 and shown and shown.text:match("%S") and shown
  end)
  result.cursor = vim.api.nvim_win_get_cursor(0)

  -- <M-Right> (setup's key) takes the suggestion's next word; the rest shows at once (the typing-through cache).
  local asked = answers
  vim.api.nvim_input("<M-Right>")
  result.rest = wait_for("nothing shown after the word", 60000, function()
    local shown = ghost()
    return answers > asked and shown and shown.text:match("%S") and shown
  end)
  result.afterWord = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1]

  -- <M-]> (setup's key for select) shows the next candidate with its index. The server offers a second one once
  -- it has sampled here while the cursor rested; 0.12 only asks again when the cursor moves, so move it there
  -- and back (a new automatic request at the same place) until the answer carries two.
  local deadline = vim.uv.now() + 300000
  while true do
    local shown = ghost()
    result.before = shown
    vim.api.nvim_input("<M-]>")
    result.after = wait_for("<M-]> showed no index", 5000, function()
      local now = ghost()
      return now and now.hint and now
    end)
    result.rounds = result.rounds + 1
    if tonumber(result.after.hint:match("/(%d+)")) >= 2 then
      break
    end
    assert(vim.uv.now() < deadline, "the server never offered a second candidate here")
    sleep(3000) -- the server samples an alternative while the user rests
    local asked = answers
    -- Two moves, each seen on its own (CursorMovedI compares where the cursor is when no key is left), within
    -- 0.12's 200 ms debounce: one request, at the place the cursor came back to.
    vim.api.nvim_input("<Left>")
    sleep(50)
    vim.api.nvim_input("<Right>")
    wait_for("no answer after the cursor came back", 120000, function()
      return answers > asked and ghost()
    end)
  end

  -- <Tab> (setup's accept key) inserts the candidate shown and the server records the acceptance.
  vim.api.nvim_input("<Tab>")
  result.acceptance = wait_for("the acceptance never reached the server", 30000, function()
    local acceptance = status().completion.acceptance
    return acceptance.accepted >= 1 and acceptance
  end)
  result.buffer = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")

  vim.api.nvim_input("<Esc>")
  wait_for("Insert mode never ended", 5000, function()
    return vim.api.nvim_get_mode().mode == "n"
  end)
  vim.cmd("checkhealth iquest")
  result.health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  finish(nil)
end)

local ok, err = coroutine.resume(session)
if not ok then
  finish(debug.traceback(session, tostring(err)))
end
