-- What every iquest client gets when it attaches, however it was started (setup, vim.lsp.enable, by hand).
local M = {}

--- Watch LspAttach: filter suggestion requests (:Iquest toggle) and follow the cursor for iquest clients.
function M.watch()
  vim.api.nvim_create_autocmd("LspAttach", {
    group = vim.api.nvim_create_augroup("iquest-lsp-attach", { clear = true }),
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == require("iquest.clients").name then
        require("iquest.suggestions").filter(client)
        require("iquest.cursor").follow()
      end
    end,
  })
end

return M
