-- Suggestions on or off, per buffer or globally: while off, no suggestion request reaches the server.
local M = {}

--- The requests that ask the model for a suggestion.
M.methods = { ["textDocument/completion"] = true, ["textDocument/inlineCompletion"] = true }

--- What a client gets instead of the server's answer while suggestions are off.
local empty = {
  ["textDocument/completion"] = { isIncomplete = false, items = {} },
  ["textDocument/inlineCompletion"] = { items = {} },
}

--- True when suggestions are on for bufnr: its own switch if set, else the global one (default on).
function M.enabled(bufnr)
  local own = vim.b[bufnr].iquest_suggestions
  if own ~= nil then
    return own
  end
  return vim.g.iquest_suggestions ~= false
end

--- Turn suggestions on or off for one buffer (scope "buffer") or every buffer (scope "global"); returns the new state.
function M.set(scope, bufnr, on)
  if scope == "global" then
    vim.g.iquest_suggestions = on
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      vim.b[buf].iquest_suggestions = nil -- the global switch decides again everywhere
    end
  else
    vim.b[bufnr].iquest_suggestions = on
  end
  return on
end

--- Flip the switch of a scope; returns the new state.
function M.toggle(scope, bufnr)
  local now
  if scope == "global" then
    now = vim.g.iquest_suggestions ~= false
  else
    now = M.enabled(bufnr)
  end
  return M.set(scope, bufnr, not now)
end

--- The buffer a request is about, from its textDocument.uri.
local function buffer_of(params)
  local uri = type(params) == "table" and params.textDocument and params.textDocument.uri
  if not uri then
    return nil
  end
  local bufnr = vim.uri_to_bufnr(uri)
  return vim.api.nvim_buf_is_loaded(bufnr) and bufnr or nil
end

--- Answer suggestion requests locally while they are off for their buffer (every caller goes through client.rpc).
function M.filter(client)
  local rpc = client.rpc
  if not rpc or rpc.iquest_filtered then
    return
  end
  local request = rpc.request
  rpc.request = function(method, params, callback, ...)
    local bufnr = M.methods[method] and buffer_of(params)
    if bufnr and not M.enabled(bufnr) then
      vim.schedule(function()
        callback(nil, vim.deepcopy(empty[method]))
      end)
      return true, nil -- no request id: nothing pending, nothing to cancel
    end
    return request(method, params, callback, ...)
  end
  rpc.iquest_filtered = true
end

return M
