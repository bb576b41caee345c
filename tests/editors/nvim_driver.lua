-- What every headless Neovim driver of tests/editors/test_neovim.py shares: attaching, writing its result and leaving.
local M = {}

--- Set editors/nvim up from $IQUEST_NVIM_CMD / $IQUEST_NVIM_SETTINGS, open $IQUEST_NVIM_FILE and wait for the iquest
--- client to attach; returns the iquest module, the buffer and the client.
function M.attach()
  local env = vim.env
  -- The finisher's os.exit leaves swap files behind; a later run at the same path would stop at the E325 prompt.
  vim.o.swapfile = false
  local iquest = require("iquest")
  iquest.setup({ cmd = vim.json.decode(env.IQUEST_NVIM_CMD), settings = vim.json.decode(env.IQUEST_NVIM_SETTINGS) })
  vim.cmd("filetype on")
  vim.cmd.edit(vim.fn.fnameescape(env.IQUEST_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  local client
  assert(vim.wait(30000, function()
    client = vim.lsp.get_clients({ bufnr = bufnr, name = "iquest" })[1]
    return client ~= nil and client.initialized == true
  end, 50), "the iquest client never attached to the buffer")
  return iquest, bufnr, client
end

--- A function that writes `result` (with `error` set to err) to $IQUEST_NVIM_RESULT, stops the LSP clients and exits.
function M.finisher(result)
  return function(err)
    result.error = err
    local out = assert(io.open(vim.env.IQUEST_NVIM_RESULT, "w"))
    out:write(vim.json.encode(result))
    out:close()
    for _, client in ipairs(vim.lsp.get_clients()) do
      client:stop()
    end
    vim.wait(5000, function()
      return #vim.lsp.get_clients() == 0
    end, 50)
    os.exit(err and 1 or 0)
  end
end

return M
