-- value.lua: null-safe accessors for decoded JSON, shared by the output modules
-- (lua/text.lua, lua/render.lua, lua/printers.lua, lua/describe.lua) and the kubectl verbs
-- (lua/kubectl_run.lua). Objects from the API are read field by field without trusting
-- their shape: json.null is a value of its own, and an empty decoded array is an empty
-- table marked by json.array. Pure Lua; owned by the kubernetes tool set.
--
--   value.is_null(v), value.is_table(v), value.is_list(t)
--   value.tbl(v) -> v or {}, value.list(v) -> v or {}, value.str(v) -> v or nil
--   value.sorted_keys(t), value.bad_arg(n, fname, expected, got)

local M = {}

local json = json
local null = json.null

local function is_null(v) return v == nil or (null ~= nil and v == null) end
local function is_table(v) return type(v) == "table" and not is_null(v) end

-- A JSON array: has [1], or is marked (an empty decoded array).
local function is_list(t)
  return t[1] ~= nil or (next(t) == nil and json.is_array(t))
end

M.is_null, M.is_table, M.is_list = is_null, is_table, is_list

-- The table, or an empty one for anything else (nil, null, a string where an object
-- belongs): lets a reader chain tbl(tbl(o.spec).template) without checks.
function M.tbl(v) return is_table(v) and v or {} end
function M.list(v) return (is_table(v) and is_list(v)) and v or {} end
function M.str(v) return type(v) == "string" and v or nil end

-- Keys in order; compared as text so that mixed key types cannot raise.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- Raises luaL_argerror's message for the caller's caller: "bad argument #1 to 'age'
-- (number expected, got string)".
function M.bad_arg(n, fname, expected, got)
  error(string.format("bad argument #%d to '%s' (%s expected, got %s)", n, fname, expected, type(got)), 3)
end

return M
