-- Headless Neovim session for tests/editors/test_neovim.py: :helptags and :help on the plugin's doc, then
-- :checkhealth iquest with a missing server, with a missing model and with a running client; writes JSON.
local env = vim.env
vim.opt.runtimepath:prepend(env.IQUEST_NVIM_CONFIG)
vim.cmd("runtime! plugin/iquest.lua")
vim.cmd("filetype on")

local result = { nvim = tostring(vim.version()), help = {}, health = {}, withoutClient = {} }
vim.notify = function(message, level)
  table.insert(result.withoutClient, { message = message, level = level })
end

local finish = dofile(vim.fs.dirname(debug.getinfo(1, "S").source:sub(2)) .. "/nvim_driver.lua").finisher(result)

--- :checkhealth iquest's report, as text; its window is closed afterwards.
local function checkhealth()
  vim.cmd("checkhealth iquest")
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  vim.cmd("bwipeout!")
  return text
end

local ok, err = pcall(function()
  vim.cmd.helptags(vim.fn.fnameescape(env.IQUEST_NVIM_CONFIG .. "/doc"))
  for _, tag in ipairs({ "iquest", ":Iquest", ":Iquest-toggle", "iquest-lazy", "iquest-health" }) do
    vim.cmd.help(tag)
    table.insert(result.help, { tag = tag, file = vim.fn.expand("%:t"), line = vim.fn.getline(".") })
    vim.cmd.helpclose()
  end

  local cmd = vim.json.decode(env.IQUEST_NVIM_CMD)
  local settings = vim.json.decode(env.IQUEST_NVIM_SETTINGS)

  vim.lsp.config("iquest", { cmd = { env.IQUEST_NVIM_MISSING_EXE, "serve", "--stdio" } })
  result.health.missingServer = checkhealth()

  vim.lsp.config("iquest", {
    cmd = cmd,
    init_options = { iquest = vim.tbl_extend("force", settings, { modelsDir = env.IQUEST_NVIM_EMPTY_DIR }) },
  })
  result.health.missingModel = checkhealth()
  for _, line in ipairs({ "Iquest status", "Iquest reload", "Iquest plan tidy up" }) do
    vim.cmd(line)
  end

  -- vim.lsp.config merges into what is there: put the default models folder back ("" = the default).
  vim.lsp.config("iquest", { init_options = { iquest = { modelsDir = "" } } })
  vim.lsp.enable("iquest")
  vim.cmd.edit(vim.fn.fnameescape(env.IQUEST_NVIM_FILE))
  assert(vim.wait(30000, function()
    local client = vim.lsp.get_clients({ name = "iquest" })[1]
    return client ~= nil and client.initialized == true
  end, 50), "no iquest client attached")
  result.health.attached = checkhealth()
end)
finish(not ok and tostring(err) or nil)
