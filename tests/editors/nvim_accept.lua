-- Headless Neovim session for tests/editors/test_neovim.py: editors/nvim's accept handler (the `on_accept` of
-- Neovim 0.12's vim.lsp.inline_completion.get) takes a word of a suggestion, then all of the rest. Neovim 0.11 has
-- no inline UI, so the items are asked for with a raw request and shaped as 0.12 hands them to on_accept.
local env = vim.env
package.path = env.IQUEST_NVIM_CONFIG .. "/lua/?.lua;" .. package.path

local result = { steps = {} }

local driver = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua")
local finish = driver.finisher(result)

local ok, err = pcall(function()
  local iquest, bufnr, client = driver.attach()

  local function status()
    local reply = client:request_sync("workspace/executeCommand", { command = "iquest.status" }, 30000, bufnr)
    return reply and reply.result
  end
  assert(vim.wait(180000, function()
    local current = status()
    return current ~= nil and (current.state == "ready" or current.state == "failed")
  end, 200), "the model never loaded")

  -- The item at the end of the buffer, as vim.lsp.inline_completion hands it to on_accept (ASCII: bytes = UTF-16).
  local function item_at_end()
    local last = vim.api.nvim_buf_line_count(bufnr)
    local text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1]
    vim.api.nvim_win_set_cursor(0, { last, #text })
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = last - 1, character = #text },
      context = { triggerKind = 1 },
    }
    local reply = assert(client:request_sync("textDocument/inlineCompletion", params, 120000, bufnr), "timed out")
    local raw = assert(reply.result and reply.result.items[1], "no inline item")
    local range = raw.range
    return {
      client_id = client.id,
      insert_text = raw.insertText,
      command = raw.command,
      range = {
        start_row = range.start.line,
        start_col = range.start.character,
        end_row = range["end"].line,
        end_col = range["end"].character,
      },
    }
  end

  local first = item_at_end()
  result.first = first.insert_text
  result.word = iquest.next_part(first.insert_text, "word")
  iquest.accept(first, "word")
  table.insert(result.steps, "word")
  vim.wait(300) -- the notification and the didChange reach the server before the next request
  local rest = item_at_end()
  result.rest = rest.insert_text
  iquest.on_accept(rest)
  table.insert(result.steps, "rest")
  assert(vim.wait(30000, function()
    local acceptance = status().completion.acceptance
    result.acceptance = acceptance
    return acceptance.accepted >= 1
  end, 100), "the acceptance never reached the server")
  result.buffer = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
end)
finish(not ok and tostring(err) or nil)
