-- sandbox.lua: loads a module from lua/ the way the host does: only the safe
-- base library plus json, require limited to lua/, and any read of an unknown
-- global (os, io, debug, load...) or creation of a global raises.

local SAFE = { "assert", "error", "ipairs", "next", "pairs", "pcall", "select",
               "tonumber", "tostring", "type", "xpcall", "rawequal", "rawget",
               "rawlen", "rawset", "setmetatable", "getmetatable",
               "string", "table", "math", "utf8" }

-- Returns require(name) as seen from inside a fresh sandbox.
return function(name)
  local env, loaded = {}, {}
  for _, k in ipairs(SAFE) do env[k] = _G[k] end
  env.json = _G.json
  env._VERSION = _VERSION
  env.require = function(mod)
    if loaded[mod] == nil then
      assert(mod:match("^[%w_]+$"), "bad module name " .. mod)
      local f = assert(io.open("lua/" .. mod .. ".lua", "r"))
      local src = f:read("a")
      f:close()
      local chunk = assert(load(src, "@lua/" .. mod .. ".lua", "t", env))
      loaded[mod] = chunk(mod)
    end
    return loaded[mod]
  end
  setmetatable(env, {
    __index = function(_, k) error("read of unknown global " .. tostring(k), 2) end,
    __newindex = function(_, k) error("created global " .. tostring(k), 2) end,
  })
  return env.require(name)
end
