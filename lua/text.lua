-- text.lua: how a single value reads as text in kubectl-like output, shared by
-- lua/render.lua (tables, dumps, budgets), lua/printers.lua (get columns) and
-- lua/describe.lua: numbers as Go's fmt prints them, objects as compact JSON, control
-- characters escaped as kubectl's terminal escaper writes them, label maps, lines.
-- Pure Lua; owned by the kubernetes tool set.
--
--   text.num(n), text.compact(v), text.escape(s), text.value(v), text.scalar(v)
--   text.labels(map)
--   text.split_lines(s), text.one_line(s), text.utf8_prefix(s, n)

local V = require("value")
local is_null, is_table, is_list, sorted_keys, str = V.is_null, V.is_table, V.is_list, V.sorted_keys, V.str

local M = {}

local find, sub, byte, format, concat = string.find, string.sub, string.byte, string.format, table.concat

-- A number as Go's fmt.Sprint writes it: integers without a point, floats in the
-- shortest form that reads back the same.
local function num(v)
  if math.type(v) == "integer" then return format("%d", v) end
  if v ~= v then return "NaN" end
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return format("%d", math.tointeger(v)) end
  for p = 15, 17 do
    local s = format("%." .. p .. "g", v)
    if tonumber(s) == v then return s end
  end
  return format("%.17g", v)
end
M.num = num

-- Compact one-line JSON-like text of a value, keys sorted (cells that hold objects).
local function compact(v)
  if is_null(v) then return "null" end
  local t = type(v)
  if t == "string" then return format("%q", v):gsub("\\\n", "\\n") end
  if t == "number" then return num(v) end
  if t ~= "table" then return tostring(v) end
  local parts = {}
  if is_list(v) then
    for i = 1, #v do parts[i] = compact(v[i]) end
    return "[" .. concat(parts, ",") .. "]"
  end
  for _, k in ipairs(sorted_keys(v)) do parts[#parts + 1] = compact(tostring(k)) .. ":" .. compact(v[k]) end
  return "{" .. concat(parts, ",") .. "}"
end
M.compact = compact

-- Control characters in caret notation (ESC is "^[", as kubectl's terminal escaper
-- writes it), tabs as spaces: text must not move the cursor or split a column.
local function escape(s)
  if not find(s, "[%c\127]") then return s end
  return (s:gsub("[%c\127]", function(c)
    local b = byte(c)
    if b == 9 then return " " end
    if b == 127 then return "^?" end
    return "^" .. string.char(b + 64)
  end))
end
M.escape = escape

-- A field value as describe shows it: "<none>" for null, text as it is (unescaped: the
-- writer escapes), numbers as Go prints them, objects as compact JSON.
function M.value(v)
  if is_null(v) then return "<none>" end
  if type(v) == "string" then return v end
  if type(v) == "table" then return compact(v) end
  if type(v) == "number" then return num(v) end
  return tostring(v)
end

-- A scalar as a YAML-like dump shows it: null, "" for the empty string, text escaped.
function M.scalar(v)
  if is_null(v) then return "null" end
  if type(v) == "number" then return num(v) end
  if type(v) == "string" then
    if v == "" then return '""' end
    return escape(v)
  end
  return tostring(v)
end

-- A label map (or a Service's selector map) as kubectl prints it: "a=1,b=2", keys
-- sorted; "<none>" when empty or absent.
function M.labels(m)
  if not is_table(m) or next(m) == nil then return "<none>" end
  local parts = {}
  for _, k in ipairs(sorted_keys(m)) do parts[#parts + 1] = k .. "=" .. tostring(m[k]) end
  return concat(parts, ",")
end

-- The lines of s without their "\n"; no empty last line for a trailing "\n".
function M.split_lines(s)
  local lines = {}
  local pos = 1
  while true do
    local nl = find(s, "\n", pos, true)
    if not nl then
      if pos <= #s then lines[#lines + 1] = sub(s, pos) end
      return lines
    end
    lines[#lines + 1] = sub(s, pos, nl - 1)
    pos = nl + 1
  end
end

-- A message on one line: trimmed, inner line breaks (and the blanks around them) as one
-- space. Not a string: "".
function M.one_line(s)
  s = (str(s) or ""):gsub("^%s+", ""):gsub("%s+$", "")
  return (s:gsub("%s*\n%s*", " "))
end

-- The longest prefix of s within n bytes that does not end inside a UTF-8 sequence.
function M.utf8_prefix(s, n)
  if n >= #s then return s end
  if n <= 0 then return "" end
  local i = n
  while i > 0 do
    local b = byte(s, i + 1)
    if b < 0x80 or b >= 0xC0 then break end -- s[i+1] starts a character
    i = i - 1
  end
  return sub(s, 1, i)
end

return M
