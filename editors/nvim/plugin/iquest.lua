-- Loaded once from the runtimepath: the :Iquest command and the LspAttach hook, whether or not setup() is called.
if vim.g.loaded_iquest then
  return
end
vim.g.loaded_iquest = true
require("iquest.attach").watch()
require("iquest.commands").create()
