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

--- The part of a suggestion a word or line accept takes: the next word (with the blanks before it) or line.
function M.next_part(text, unit)
  if unit == "line" then
    local newline = text:find("\n", 2, true)
    return newline and text:sub(1, newline) or text
  end
  local _, stop = text:find("^%s*[%w_]+")
  if not stop then
    _, stop = text:find("^%s*[^%w_%s]")
  end
  return stop and text:sub(1, stop) or text
end

--- UTF-16 units of a UTF-8 string (what didPartiallyAcceptCompletion counts).
local function utf16_len(text)
  if vim.fn.has("nvim-0.11") == 1 then
    return vim.str_utfindex(text, "utf-16")
  end
  local _, units = vim.str_utfindex(text)
  return units
end

--- Put `text` where the item goes (its range, else the cursor) and the cursor after it.
local function insert(bufnr, item, text)
  local range = item.range
  local row, col, end_row, end_col
  if range then
    -- 0.12's vim.Range: 0-based byte positions, end exclusive.
    row, col, end_row, end_col = range.start_row, range.start_col, range.end_row, range.end_col
  else
    local cursor = vim.api.nvim_win_get_cursor(0)
    row, col = cursor[1] - 1, cursor[2]
    end_row, end_col = row, col
  end
  local lines = vim.split(text, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, end_row, end_col, lines)
  vim.api.nvim_win_set_cursor(0, { row + #lines, (#lines == 1 and col or 0) + #lines[#lines] })
end

--- Accept an inline item (the shape vim.lsp.inline_completion hands to `on_accept`), all of it or its next
--- "word" / "line", and tell the server: its iquest.accepted command, or didPartiallyAcceptCompletion.
function M.accept(item, unit)
  local text = item.insert_text
  if type(text) ~= "string" then
    vim.snippet.expand(text.value)
    return
  end
  local part = unit and M.next_part(text, unit) or text
  local bufnr = vim.api.nvim_get_current_buf()
  insert(bufnr, item, part)
  local client = vim.lsp.get_client_by_id(item.client_id)
  if not client or not item.command then
    return
  end
  if #part == #text then
    if client.exec_cmd then
      client:exec_cmd(item.command, { bufnr = bufnr })
    else
      client.request("workspace/executeCommand", item.command, function() end, bufnr)
    end
  else
    local params = { item = { insertText = text, command = item.command }, acceptedLength = utf16_len(part) }
    if vim.fn.has("nvim-0.11") == 1 then
      client:notify("textDocument/didPartiallyAcceptCompletion", params)
    else
      client.notify("textDocument/didPartiallyAcceptCompletion", params)
    end
  end
end

--- The `on_accept` handler for vim.lsp.inline_completion.get: insert the item and record the acceptance.
function M.on_accept(item)
  M.accept(item)
end

M.keys = { accept = "<Tab>", accept_word = "<M-Right>", accept_line = "<M-Down>", next = "<M-]>", prev = "<M-[>" }

--- Insert-mode keys for Neovim 0.12's ghost text: accept (all, word, line) and cycle through candidates.
local function map_keys(keys)
  local inline = vim.lsp.inline_completion
  local function accept(unit)
    return function()
      return inline.get({ on_accept = function(item) M.accept(item, unit) end })
    end
  end
  if keys.accept then
    vim.keymap.set("i", keys.accept, function()
      if not accept(nil)() then
        return keys.accept
      end
    end, { expr = true, replace_keycodes = true, desc = "iquest: accept the suggestion" })
  end
  for name, unit in pairs({ accept_word = "word", accept_line = "line" }) do
    if keys[name] then
      vim.keymap.set("i", keys[name], accept(unit), { desc = "iquest: accept the next " .. unit })
    end
  end
  for name, count in pairs({ next = 1, prev = -1 }) do
    if keys[name] then
      vim.keymap.set("i", keys[name], function()
        inline.select({ count = count })
      end, { desc = "iquest: " .. name .. " candidate" })
    end
  end
end

--- Register the server; on 0.12+ also turn on native inline ghost text (opts.inline = false to keep it off)
--- and its keys (opts.keys: a table like M.keys, a key set to false to leave it alone, or false for none).
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
    if opts.keys ~= false then
      map_keys(vim.tbl_extend("force", M.keys, opts.keys or {}))
    end
  end
  return config
end

return M
