-- tooldef.lua: checks the table a tools/NAME.lua file returns, at load time,
-- Redis-style: unknown keys rejected, each field's type checked, and every
-- message naming the file and the key so the author can fix it at once.

local schema = require("schema")

local M = {}

-- Checked in this order after unknown keys, so the first error is stable.
-- A file defines a tool (the default), a prompt or a resource; each kind has its keys.
local FIELDS = {
  tool = { "kind", "name", "title", "description", "toolset", "annotations",
           "input", "output", "handler", "timeout", "meta", "job" },
  prompt = { "kind", "name", "title", "description", "arguments", "handler", "complete", "timeout", "meta" },
  resource = { "kind", "name", "title", "description", "uri", "uri_template", "mime_type", "handler",
               "complete", "timeout", "meta" },
}

local KNOWN = {}
for kind, fields in pairs(FIELDS) do
  KNOWN[kind] = {}
  for _, k in ipairs(fields) do KNOWN[kind][k] = true end
end

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
  -- A job tool starts a server-side job that changes nothing (a diagnosis, an inspection):
  -- served in read-only mode on purpose, so its annotations must say what it is.
  job = function(def)
    local err = want(def.job, "job", "boolean", false)
    if err or not def.job then return err end
    local a = def.annotations or {}
    if a.readOnlyHint ~= false or a.destructiveHint ~= false then
      return 'a tool with "job = true" must declare annotations.readOnlyHint = false and annotations.destructiveHint = false'
    end
    return nil
  end,
  kind = function(def) return want(def.kind, "kind", "string", false) end,
  complete = function(def) return want(def.complete, "complete", "function", false) end,
  mime_type = function(def) return want(def.mime_type, "mime_type", "string", false) end,
  arguments = function(def)
    local a = def.arguments
    local err = want(a, "arguments", "table", false)
    if err or a == nil then return err end
    for i, arg in ipairs(a) do
      local key = "arguments[" .. i .. "]"
      if type(arg) ~= "table" then return "key " .. show(key) .. " must be a table, got " .. type(arg) end
      err = want(arg.name, key .. ".name", "string", true) or want(arg.description, key .. ".description", "string", false)
        or want(arg.required, key .. ".required", "boolean", false)
      if err then return err end
    end
    return nil
  end,
  uri = function(def)
    local err = want(def.uri, "uri", "string", false) or want(def.uri_template, "uri_template", "string", false)
    if err then return err end
    if (def.uri == nil) == (def.uri_template == nil) then return 'exactly one of "uri" and "uri_template" is required' end
    local u = def.uri or def.uri_template
    if not u:find("^[%a][%w+.%-]*:") then return "uri " .. show(u) .. " must start with a scheme (test://, k8s://)" end
    return nil
  end,
  uri_template = function() return nil end, -- checked with uri
}

-- A prompt's arguments become the input schema its arguments are validated against.
local function prompt_input(def)
  local props, required = {}, {}
  for _, arg in ipairs(def.arguments or {}) do
    props[arg.name] = { type = "string", description = arg.description }
    if arg.required then required[#required + 1] = arg.name end
  end
  return { type = "object", properties = props, required = required }
end

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
  local kind = def.kind == nil and "tool" or def.kind
  if not FIELDS[kind] then
    return nil, file .. 'key "kind" must be "tool", "prompt" or "resource", got ' .. show(kind)
  end
  -- Unknown keys first: a misspelt "hander" explains the missing "handler".
  for _, k in ipairs(sorted_keys(def)) do
    if not KNOWN[kind][k] then return nil, file .. "unknown key " .. show(k) end
  end
  for _, k in ipairs(FIELDS[kind]) do
    local err = CHECKS[k](def, base)
    if err then return nil, file .. err end
  end
  return true
end

-- Readies a checked definition for the host, which validates every kind's arguments the
-- same way: prompts and resources get the input schema their arguments imply.
function M.prepare(def)
  local kind = def.kind or "tool"
  if kind == "prompt" then def.input = prompt_input(def) end
  if kind == "resource" then def.input = { type = "object" } end
  return def
end

-- The kind a checked definition declares.
function M.kind(def)
  return def.kind or "tool"
end

-- MCP's readOnlyHint defaults to false: a tool is a write tool unless it says otherwise.
-- A job tool (job = true) is not: it is listed and callable in read-only mode.
function M.is_write(def)
  return not def.job and not (def.annotations and def.annotations.readOnlyHint == true)
end

-- MCP's destructiveHint defaults to true for write tools.
function M.is_destructive(def)
  return M.is_write(def) and not (def.annotations and def.annotations.destructiveHint == false)
end

return M
