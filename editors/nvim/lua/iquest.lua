-- iquest-lsp for Neovim's built-in LSP client (0.8+; vim.lsp.config on 0.11+; inline ghost text on 0.12+).
--
--   require("iquest").setup({ cmd = { "/path/to/iquest-lsp/.venv/bin/iquest-lsp", "serve", "--stdio" } })
--
-- See editors/nvim/README.md.
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

--- The workspace root: the nearest folder with .git (or the file's folder).
local function root_of(path)
  local found = vim.fs.find({ ".git" }, { upward = true, path = vim.fs.dirname(path) })[1]
  return found and vim.fs.dirname(found) or vim.fs.dirname(path)
end

--- The client configuration shared by every Neovim version.
function M.config(opts)
  opts = opts or {}
  return {
    name = "iquest",
    cmd = opts.cmd or default_cmd(),
    filetypes = opts.filetypes or M.filetypes,
    -- Same names as the VS Code settings, without the "iquest." prefix; see the README's settings table.
    init_options = { iquest = opts.settings or {} },
    settings = { iquest = opts.settings or {} },
  }
end

--- Start (or reuse) the client for a buffer; Neovim 0.8 to 0.10.
local function start(config, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" then
    return
  end
  vim.lsp.start(vim.tbl_extend("force", config, { root_dir = root_of(path) }), { bufnr = bufnr })
end

--- Tell the server where the cursor rests (iquest/didMoveCursor), so it warms its cache there before you ask.
local function follow_cursor(name)
  local timer = assert((vim.uv or vim.loop).new_timer())
  vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI" }, {
    group = vim.api.nvim_create_augroup("iquest-lsp-cursor", { clear = true }),
    callback = function(args)
      timer:stop()
      timer:start(150, 0, vim.schedule_wrap(function()
        if not vim.api.nvim_buf_is_valid(args.buf) or args.buf ~= vim.api.nvim_get_current_buf() then
          return
        end
        local get = vim.lsp.get_clients or vim.lsp.get_active_clients
        for _, client in ipairs(get({ bufnr = args.buf, name = name })) do
          local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
          if vim.fn.has("nvim-0.11") == 1 then
            client:notify("iquest/didMoveCursor", params)
          else
            client.notify("iquest/didMoveCursor", params)
          end
        end
      end))
    end,
  })
end

--- Register the server; on 0.12+ also turn on native inline ghost text (opts.inline = false to keep it off).
function M.setup(opts)
  opts = opts or {}
  local config = M.config(opts)
  follow_cursor(config.name)
  if vim.lsp.config and vim.lsp.enable then
    config.root_markers = { ".git" }
    vim.lsp.config(config.name, config)
    vim.lsp.enable(config.name)
  else
    vim.api.nvim_create_autocmd("FileType", {
      pattern = config.filetypes,
      group = vim.api.nvim_create_augroup("iquest-lsp", { clear = true }),
      callback = function(args)
        start(config, args.buf)
      end,
    })
  end
  if opts.inline ~= false and vim.lsp.inline_completion then
    vim.lsp.inline_completion.enable()
  end
  return config
end

return M
