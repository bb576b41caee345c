-- The running iquest clients: find them, talk to them the same way on 0.8 to 0.11+, restart them.
local M = {}

M.name = "iquest"

local modern = vim.fn.has("nvim-0.11") == 1

--- Call a client method: client:method(...) on 0.11+, client.method(...) before.
function M.call(client, method, ...)
  if modern then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The iquest clients, optionally only those attached to bufnr.
function M.get(bufnr)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  return get({ name = M.name, bufnr = bufnr })
end

--- The client for a buffer, else any running iquest client; nil when none runs.
function M.pick(bufnr)
  return M.get(bufnr)[1] or M.get()[1]
end

--- The configuration a client is started with: vim.lsp.config's on 0.11+, else the one setup() stored.
function M.config()
  if vim.lsp.config and vim.lsp.enable then
    return vim.lsp.config[M.name]
  end
  return require("iquest").last_config
end

--- The workspace root for a file: the nearest folder with a root marker, else the file's folder.
function M.root_of(path, markers)
  local found = vim.fs.find(markers or { ".git" }, { upward = true, path = vim.fs.dirname(path) })[1]
  return found and vim.fs.dirname(found) or vim.fs.dirname(path)
end

--- Start (or reuse) the client for a buffer with a file name.
function M.start(config, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local root = config.root_dir
  if type(root) ~= "string" then
    root = M.root_of(path, config.root_markers)
  end
  return vim.lsp.start(vim.tbl_extend("force", config, { name = M.name, root_dir = root }), { bufnr = bufnr })
end

--- Stop every iquest client and start one again for the buffers they served; calls done(buffers) after.
function M.restart(done)
  local config = M.config()
  if not config then
    error("iquest is not configured: call require('iquest').setup() or vim.lsp.enable('iquest')")
  end
  local buffers = {}
  local running = M.get()
  for _, client in ipairs(running) do
    for bufnr in pairs(client.attached_buffers) do
      table.insert(buffers, bufnr)
    end
    M.call(client, "stop")
  end
  local function stopped()
    for _, client in ipairs(running) do
      if not M.call(client, "is_stopped") then
        return false
      end
    end
    return true
  end
  local timer = assert((vim.uv or vim.loop).new_timer())
  local waited = 0
  timer:start(50, 50, vim.schedule_wrap(function()
    waited = waited + 50
    if not stopped() and waited < 10000 then
      return
    end
    timer:stop()
    timer:close()
    for _, client in ipairs(running) do
      if not M.call(client, "is_stopped") then
        M.call(client, "stop", true) -- it ignored shutdown for 10 s: kill it
      end
    end
    for _, bufnr in ipairs(buffers) do
      if vim.api.nvim_buf_is_valid(bufnr) then
        M.start(config, bufnr)
      end
    end
    if done then
      done(buffers)
    end
  end))
end

return M
