-- Headless Neovim session for tests/editors/test_neovim.py: load editors/nvim's config, open a file,
-- ask our server for a suggestion, write what arrived as JSON. Inputs come from IQUEST_NVIM_* variables.
local env = vim.env
package.path = env.IQUEST_NVIM_CONFIG .. "/lua/?.lua;" .. package.path

local result = { nvim = tostring(vim.version()), steps = {} }

local finish = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua").finisher(result)

local ok, err = pcall(function()
  require("iquest").setup({
    cmd = vim.json.decode(env.IQUEST_NVIM_CMD),
    settings = vim.json.decode(env.IQUEST_NVIM_SETTINGS),
  })
  vim.cmd("filetype on")
  vim.cmd.edit(vim.fn.fnameescape(env.IQUEST_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  local client
  assert(vim.wait(30000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = "iquest" })[1]
    return client ~= nil and client.initialized == true
  end, 50), "the iquest client never attached to the buffer")
  result.serverInfo = client.server_info
  result.rootDir = client.root_dir
  table.insert(result.steps, "attached")

  -- The server loads the model in the background; wait until iquest.status says it is ready.
  local deadline = vim.uv.now() + 180000
  repeat
    local reply = client:request_sync("workspace/executeCommand", { command = "iquest.status" }, 30000, bufnr)
    result.status = reply and reply.result
    if result.status and (result.status.state == "ready" or result.status.state == "failed") then
      break
    end
    vim.wait(200)
  until vim.uv.now() > deadline
  table.insert(result.steps, "status")

  local last = vim.api.nvim_buf_line_count(bufnr)
  local text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1]
  -- End of the last line (the test file is ASCII, so bytes = UTF-16 units); normal mode's cursor cannot sit there.
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = last - 1, character = #text },
  }

  local reply = client:request_sync("textDocument/completion", params, 120000, bufnr)
  assert(reply, "textDocument/completion timed out")
  result.completion = reply.result
  result.completionError = reply.err
  table.insert(result.steps, "completion")

  params.context = { triggerKind = 1 }
  reply = client:request_sync("textDocument/inlineCompletion", params, 120000, bufnr)
  assert(reply, "textDocument/inlineCompletion timed out")
  result.inline = reply.result
  result.inlineError = reply.err
  table.insert(result.steps, "inline")
end)
finish(not ok and tostring(err) or nil)
