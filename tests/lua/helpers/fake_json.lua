-- fake_json.lua: the host's json global in plain Lua, for busted. Same contract
-- as the C module: json.null sentinel, json.array marker (decoded arrays carry
-- it, even empty ones), json.is_array. decode/encode exist so specs can state
-- inputs as JSON text and check what a schema serializes to.

local M = {}

local ARRAY_MT = { __name = "json.array" }

M.null = setmetatable({}, { __name = "json.null", __tostring = function() return "json.null" end })

function M.array(t)
  return setmetatable(t or {}, ARRAY_MT)
end

function M.is_array(t)
  return type(t) == "table" and getmetatable(t) == ARRAY_MT
end

local ESCAPES = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

-- Decodes JSON text; numbers with . e or E become floats, others integers
-- (floats when they overflow), as lua-cjson does under Lua 5.4.
function M.decode(text)
  local i = 1
  local value

  local function fail(msg) error(string.format("json.decode: %s at byte %d", msg, i), 0) end
  local function ws() i = text:find("[^ \t\r\n]", i) or #text + 1 end

  local function str()
    local out = {}
    i = i + 1
    while true do
      local j = text:find('["\\]', i)
      if not j then fail("unterminated string") end
      out[#out + 1] = text:sub(i, j - 1)
      i = j + 1
      if text:sub(j, j) == '"' then return table.concat(out) end
      local e = text:sub(i, i)
      if e == "u" then
        local cp = tonumber(text:sub(i + 1, i + 4), 16) or fail("bad \\u escape")
        i = i + 5
        if cp >= 0xD800 and cp <= 0xDBFF and text:sub(i, i + 1) == "\\u" then
          local lo = tonumber(text:sub(i + 2, i + 5), 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          end
        end
        out[#out + 1] = utf8.char(cp)
      else
        out[#out + 1] = ESCAPES[e] or fail("bad escape")
        i = i + 1
      end
    end
  end

  value = function()
    ws()
    local c = text:sub(i, i)
    if c == "{" then
      local obj = {}
      i = i + 1
      ws()
      if text:sub(i, i) == "}" then i = i + 1; return obj end
      while true do
        ws()
        if text:sub(i, i) ~= '"' then fail("expected key") end
        local k = str()
        ws()
        if text:sub(i, i) ~= ":" then fail("expected :") end
        i = i + 1
        obj[k] = value()
        ws()
        c = text:sub(i, i)
        i = i + 1
        if c == "}" then return obj end
        if c ~= "," then fail("expected , or }") end
      end
    elseif c == "[" then
      local arr = M.array({})
      i = i + 1
      ws()
      if text:sub(i, i) == "]" then i = i + 1; return arr end
      while true do
        arr[#arr + 1] = value()
        ws()
        c = text:sub(i, i)
        i = i + 1
        if c == "]" then return arr end
        if c ~= "," then fail("expected , or ]") end
      end
    elseif c == '"' then
      return str()
    end
    for word, v in pairs({ ["true"] = true, ["false"] = false, null = M.null }) do
      if text:sub(i, i + #word - 1) == word then i = i + #word; return v end
    end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not num or num == "" then fail("unexpected character") end
    i = i + #num
    return tonumber(num) or fail("bad number")
  end

  local v = value()
  ws()
  if i <= #text then fail("trailing garbage") end
  return v
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- Encodes with sorted keys. Marked tables and 1..n sequences are arrays; an
-- unmarked empty table is an object, as with the host encoder.
function M.encode(v)
  if v == M.null or v == nil then return "null" end
  local t = type(v)
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return ({ ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n" })[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  if t ~= "table" then error("json.encode: cannot encode " .. t) end
  local parts = {}
  if M.is_array(v) or is_sequence(v) then
    for i = 1, #v do parts[i] = M.encode(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = M.encode(k) .. ":" .. M.encode(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

return M
