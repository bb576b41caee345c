-- Tell the server where the cursor rests (iquest/didMoveCursor), so it warms its cache there before you ask.
local clients = require("iquest.clients")
local suggestions = require("iquest.suggestions")

local M = {}

local timer

--- Follow the cursor in every buffer (one autocmd for all; calling again replaces it).
function M.follow()
  timer = timer or assert((vim.uv or vim.loop).new_timer())
  vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI" }, {
    group = vim.api.nvim_create_augroup("iquest-lsp-cursor", { clear = true }),
    callback = function(args)
      timer:stop()
      timer:start(150, 0, vim.schedule_wrap(function()
        if not vim.api.nvim_buf_is_valid(args.buf) or args.buf ~= vim.api.nvim_get_current_buf() then
          return
        end
        if not suggestions.enabled(args.buf) then
          return
        end
        for _, client in ipairs(clients.get(args.buf)) do
          local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
          clients.call(client, "notify", "iquest/didMoveCursor", params)
        end
      end))
    end,
  })
end

return M
