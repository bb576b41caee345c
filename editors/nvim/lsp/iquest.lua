-- vim.lsp.enable("iquest") on Neovim 0.11+: the default client configuration (change it with vim.lsp.config("iquest", {...})).
return require("iquest").config()
