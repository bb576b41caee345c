-- What every headless Neovim driver of tests/editors/test_neovim.py shares: writing its result and leaving.
local M = {}

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
