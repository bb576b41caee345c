-- Headless Neovim session for tests/editors/test_neovim.py: rename a parameter in the buffer, ask the server for
-- Copilot's textDocument/copilotInlineEdit as the Copilot plugins do, apply the returned edit, report it shown and
-- run its command (the acceptance).
local env = vim.env
package.path = env.IQUEST_NVIM_CONFIG .. "/lua/?.lua;" .. package.path

local result = {}

local driver = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua")
local finish = driver.finisher(result)

local ok, err = pcall(function()
  local _, bufnr, client = driver.attach()
  assert(vim.wait(180000, function()
    local reply = client:request_sync("workspace/executeCommand", { command = "iquest.status" }, 30000, bufnr)
    local state = reply and reply.result and reply.result.state
    return state == "ready" or state == "failed"
  end, 200), "the model never loaded")

  -- Type "tax_" before the parameter, one character at a time (one didChange each).
  local line = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1]
  local column = assert(line:find("rate", 1, true)) - 1
  for i, char in ipairs({ "t", "a", "x", "_" }) do
    vim.api.nvim_buf_set_text(bufnr, 0, column + i - 1, 0, column + i - 1, { char })
  end
  vim.api.nvim_win_set_cursor(0, { 1, column + 4 })

  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.textDocument.version = vim.lsp.util.buf_versions[bufnr]
  local reply = assert(client:request_sync("textDocument/copilotInlineEdit", params, 300000, bufnr), "timed out")
  assert(reply.err == nil, vim.inspect(reply.err))
  local edit = assert(reply.result.edits[1], "no edit: " .. vim.inspect(reply.result))
  result.edit = edit
  result.version = params.textDocument.version
  vim.lsp.util.apply_text_edits({ { range = edit.range, newText = edit.text } }, bufnr, client.offset_encoding)
  client:notify("textDocument/didShowInlineEdit", { item = edit })
  local accepted = client:request_sync("workspace/executeCommand", edit.command, 30000, bufnr)
  result.accepted = accepted and accepted.result
  result.buffer = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
end)
finish(not ok and tostring(err) or nil)
