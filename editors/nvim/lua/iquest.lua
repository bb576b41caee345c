-- iquest-lsp for Neovim's built-in LSP client (0.8+; vim.lsp.config on 0.11+; inline ghost text on 0.12+).
--
--   require("iquest").setup({ cmd = { "/path/to/iquest-lsp/.venv/bin/iquest-lsp", "serve", "--stdio" } })
--   or, on 0.11+, with editors/nvim on the runtimepath: vim.lsp.enable("iquest")
--
-- See :help iquest and editors/nvim/README.md.
local clients = require("iquest.clients")

local M = {}

M.filetypes = {
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact",
  "go", "rust", "java", "c", "cpp", "lua", "sh",
}

--- The default command: iquest-lsp on PATH, else `python3 -m lsp_server`.
local function default_cmd()
  if vim.fn.executable("iquest-lsp") == 1 then
    return { "iquest-lsp", "serve", "--stdio" }
  end
  return { "python3", "-m", "lsp_server", "serve", "--stdio" }
end

--- The client configuration shared by every Neovim version (lsp/iquest.lua returns it with no options).
function M.config(opts)
  opts = opts or {}
  local config = {
    name = clients.name,
    cmd = opts.cmd or default_cmd(),
    filetypes = opts.filetypes or M.filetypes,
    root_markers = { ".git" },
  }
  if opts.settings and next(opts.settings) then
    -- Same names as the VS Code settings, without the "iquest." prefix; see the README's settings table.
    config.init_options = { iquest = opts.settings }
    config.settings = { iquest = opts.settings }
  end
  return config
end

--- Register the server; on 0.12+ also turn on native inline ghost text (opts.inline = false to keep it off).
function M.setup(opts)
  opts = opts or {}
  local config = M.config(opts)
  M.last_config = config
  require("iquest.attach").watch()
  require("iquest.commands").create()
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config(config.name, config)
    vim.lsp.enable(config.name)
  else
    vim.api.nvim_create_autocmd("FileType", {
      pattern = config.filetypes,
      group = vim.api.nvim_create_augroup("iquest-lsp", { clear = true }),
      callback = function(args)
        clients.start(config, args.buf)
      end,
    })
  end
  if opts.inline ~= false and vim.lsp.inline_completion then
    vim.lsp.inline_completion.enable()
  end
  return config
end

return M
