-- tooldef.lua: checks the table a tools/NAME.lua file returns, at load time,
-- Redis-style: unknown keys rejected, each field's type checked, and every
-- message naming the file and the key so the author can fix it at once.

local schema = require("schema")

local M = {}

-- Checked in this order after unknown keys, so the first error is stable.
local FIELDS = { "name", "title", "description", "toolset", "annotations",
                 "input", "output", "handler", "timeout", "meta" }

local KNOWN = {}
for _, k in ipairs(FIELDS) do KNOWN[k] = true end

local ANNOTATIONS = { readOnlyHint = "boolean", destructiveHint = "boolean",
                      idempotentHint = "boolean", openWorldHint = "boolean",
                      title = "string" }

local MAX_TIMEOUT = 3600

local function show(v)
  if type(v) == "string" then return '"' .. v .. '"' end
  return tostring(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) < type(b) end
    if type(a) == "string" or type(a) == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function want(v, key, ty, required)
  if v == nil then
    return required and ("missing required key " .. show(key)) or nil
  end
  if type(v) ~= ty then
    local article = ty:match("^[aeiou]") and "an " or "a "
    return "key " .. show(key) .. " must be " .. article .. ty .. ", got " .. type(v)
  end
  return nil
end

local function check_schema_field(def, key, required)
  local s = def[key]
  local err = want(s, key, "table", required)
  if err or s == nil then return err end
  local ok
  ok, err = schema.check_schema(s, key)
  if not ok then return err end
  if s.type ~= "object" then
    return key .. '.type: must be "object", got ' .. (s.type == nil and "none" or show(s.type))
  end
  return nil
end

-- field -> function(def, base) returning an error (without the file prefix) or nil.
local CHECKS = {
  name = function(def, base)
    local name = def.name
    local err = want(name, "name", "string", true)
    if err then return err end
    if #name < 1 or #name > 128 or name:find("[^A-Za-z0-9_.%-]") then
      return 'key "name" must match ^[A-Za-z0-9_.-]{1,128}$, got ' .. show(name)
    end
    if name ~= base then
      return "name " .. show(name) .. " does not match file name " .. show(base)
    end
    return nil
  end,
  title = function(def) return want(def.title, "title", "string", true) end,
  description = function(def)
    local err = want(def.description, "description", "string", true)
    if err then return err end
    if not def.description:find("%S") then return 'key "description" must not be empty' end
    return nil
  end,
  toolset = function(def)
    local err = want(def.toolset, "toolset", "string", true)
    if err then return err end
    if def.toolset == "" or def.toolset:find("[^a-z0-9_%-]") then
      return 'key "toolset" must match ^[a-z0-9_-]+$, got ' .. show(def.toolset)
    end
    return nil
  end,
  annotations = function(def)
    local a = def.annotations
    local err = want(a, "annotations", "table", false)
    if err or a == nil then return err end
    for _, k in ipairs(sorted_keys(a)) do
      local key = "annotations." .. tostring(k)
      if not ANNOTATIONS[k] then return "unknown key " .. show(key) end
      err = want(a[k], key, ANNOTATIONS[k], true)
      if err then return err end
    end
    return nil
  end,
  input = function(def) return check_schema_field(def, "input", true) end,
  output = function(def) return check_schema_field(def, "output", false) end,
  handler = function(def) return want(def.handler, "handler", "function", true) end,
  timeout = function(def)
    local t = def.timeout
    local err = want(t, "timeout", "number", false)
    if err or t == nil then return err end
    if not (t > 0 and t <= MAX_TIMEOUT) then
      return 'key "timeout" must be > 0 and <= ' .. MAX_TIMEOUT .. " seconds, got " .. tostring(t)
    end
    return nil
  end,
  meta = function(def) return want(def.meta, "meta", "table", false) end,
}

-- Checks def, the value tools/<base>.lua returned. Returns true, or nil and
-- "<path>: <reason>", e.g. tools/foo.lua: unknown key "hander"; path defaults to
-- tools/<base>.lua (the host passes the real one, the file may live elsewhere).
-- Raises if base is not a string (a host bug, not the tool author's).
function M.check(def, base, path)
  if type(base) ~= "string" then
    error("bad argument #2 to 'check' (string expected, got " .. type(base) .. ")", 2)
  end
  local file = (path or ("tools/" .. base .. ".lua")) .. ": "
  if type(def) ~= "table" then
    return nil, file .. "must return a table, got " .. type(def)
  end
  -- Unknown keys first: a misspelt "hander" explains the missing "handler".
  for _, k in ipairs(sorted_keys(def)) do
    if not KNOWN[k] then return nil, file .. "unknown key " .. show(k) end
  end
  for _, k in ipairs(FIELDS) do
    local err = CHECKS[k](def, base)
    if err then return nil, file .. err end
  end
  return true
end

-- MCP's readOnlyHint defaults to false: a tool is a write tool unless it says otherwise.
function M.is_write(def)
  return not (def.annotations and def.annotations.readOnlyHint == true)
end

-- MCP's destructiveHint defaults to true for write tools.
function M.is_destructive(def)
  return M.is_write(def) and not (def.annotations and def.annotations.destructiveHint == false)
end

return M
