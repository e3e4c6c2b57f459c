-- jsonpath.lua: kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath), for
-- `-o jsonpath=`, `-o custom-columns=` and `--sort-by` (owner: the kubectl task).
--
--   jsonpath.compile(template)   -> program | nil, message      e.g. "{.items[*].metadata.name}"
--   jsonpath.execute(prog, data) -> text | nil, message          as kubectl prints it
--   jsonpath.execute_json(prog, data) -> text | nil, message     -o jsonpath-as-json
--   jsonpath.find(prog, data)    -> { results... } | nil, message  the values, for custom columns
--   jsonpath.relaxed(expr)       -> "{.a.b}" | nil, message      "a.b", ".a.b", "{a.b}" -> "{.a.b}"
--   jsonpath.go_json(v [, indent]) -> text   Go's encoding/json: sorted keys, <>& escaped
--   jsonpath.go_print(v)         -> text    Go's fmt.Print of a decoded JSON value
--
-- Supported: text outside `{}`; `.field` (with `\.` escapes), `['key']`, `..field`, `*`, `[n]`,
-- `[-1]`, `[a:b:c]`, `[*]`, unions `[0,2]`, filters `[?(@.a=="x")]` with == != < > <= >= or bare
-- existence, "quoted text" with escapes, `{range EXPR}...{end}` (nested), `$` and `@`.
-- As kubectl does by default, a missing key yields nothing rather than an error. Map values are
-- visited in key order, so `*` and `..` are deterministic (Go's are not).

local M = {}

local function is_array(v)
  return type(v) == "table" and json.is_array(v)
end

local function is_object(v)
  return type(v) == "table" and v ~= json.null and not json.is_array(v)
end

local sorted_keys = require("value").sorted_keys

---------------------------------------------------------------------------------------------
-- Go formatting of decoded JSON values

-- Go's strconv 'g' shortest form, as fmt %v prints a float64.
local function go_float(x, json_style)
  if x ~= x then return "NaN" end
  if x == math.huge then return "+Inf" end
  if x == -math.huge then return "-Inf" end
  if math.type(x) == "integer" then return string.format("%d", x) end
  local s
  for prec = 15, 17 do
    s = string.format("%." .. prec .. "g", x)
    if tonumber(s) == x then break end
  end
  local mant, exp = s:match("^(.-)e([-+]%d+)$")
  local ax = math.abs(x)
  if json_style then
    -- encoding/json: plain decimals for 1e-6 <= |x| < 1e21, else exponent without padding
    if ax == 0 or (ax >= 1e-6 and ax < 1e21) then
      if mant then
        local e = tonumber(exp)
        local digits = mant:gsub("%.", ""):gsub("^%-", "")
        local intlen = #(mant:gsub("^%-", ""):match("^(%d+)") or "")
        local point = intlen + e
        if point <= 0 then
          s = "0." .. string.rep("0", -point) .. digits
        elseif point >= #digits then
          s = digits .. string.rep("0", point - #digits)
        else
          s = digits:sub(1, point) .. "." .. digits:sub(point + 1)
        end
        if x < 0 then s = "-" .. s end
      end
      return s
    end
    if mant then
      local e = tonumber(exp)
      return string.format("%se%s%d", mant, e < 0 and "-" or "+", math.abs(e))
    end
    return s
  end
  -- fmt %v: exponent form only when exp < -4 or exp >= 21
  if mant then
    local e = tonumber(exp)
    if e >= -4 and e < 21 then
      return go_float(x, true)
    end
    return string.format("%se%s%02d", mant, e < 0 and "-" or "+", math.abs(e))
  end
  return s
end

local function go_string(s)
  local out = s:gsub('[%c"\\<>&\226]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    if c == "\n" then return "\\n" end
    if c == "\r" then return "\\r" end
    if c == "\t" then return "\\t" end
    if c == "<" then return "\\u003c" end
    if c == ">" then return "\\u003e" end
    if c == "&" then return "\\u0026" end
    if c == "\226" or c == "\127" then return c end -- U+2028/U+2029 below; Go keeps DEL
    return string.format("\\u%04x", c:byte())
  end)
  out = out:gsub("\226\128\168", "\\u2028"):gsub("\226\128\169", "\\u2029")
  return '"' .. out .. '"'
end

local function go_json(v, indent, depth)
  if v == nil or v == json.null then return "null" end
  local t = type(v)
  if t == "string" then return go_string(v) end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then return go_float(v, true) end
  if t ~= "table" then error("jsonpath: cannot encode a " .. t, 0) end
  local nl, pad, pad_in, sep = "", "", "", ":"
  if indent then
    nl = "\n"
    pad = string.rep(indent, depth)
    pad_in = pad .. indent
    sep = ": "
  end
  local parts = {}
  if json.is_array(v) then
    if #v == 0 then return "[]" end
    for i = 1, #v do parts[i] = pad_in .. go_json(v[i], indent, depth + 1) end
    return "[" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "]"
  end
  local keys = sorted_keys(v)
  if #keys == 0 then return "{}" end
  for i, k in ipairs(keys) do
    parts[i] = pad_in .. go_string(tostring(k)) .. sep .. go_json(v[k], indent, depth + 1)
  end
  return "{" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "}"
end

-- Go's encoding/json text of v: compact, or indented with the given string (kubectl uses
-- four spaces for -o json).
function M.go_json(v, indent)
  return go_json(v, indent, 0)
end

-- Go's fmt.Print of a decoded JSON value: maps as map[k:v ...], slices as [a b].
local function go_print(v)
  if v == nil or v == json.null then return "<nil>" end
  local t = type(v)
  if t == "string" then return v end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then return go_float(v, false) end
  if json.is_array(v) then
    local parts = {}
    for i = 1, #v do parts[i] = go_print(v[i]) end
    return "[" .. table.concat(parts, " ") .. "]"
  end
  local parts = {}
  for _, k in ipairs(sorted_keys(v)) do parts[#parts + 1] = tostring(k) .. ":" .. go_print(v[k]) end
  return "map[" .. table.concat(parts, " ") .. "]"
end
M.go_print = go_print

---------------------------------------------------------------------------------------------
-- Parser. A program is a list of items: {t="text", s=}, {t="expr", nodes=}, {t="range",
-- nodes=, body=}. Expression nodes: field, wild, recursive, index (slice params), union
-- (list of node lists), filter (left, op, right), text (a literal), num, bool.

local TERMINATOR = { [""] = true, [" "] = true, ["\t"] = true, ["\r"] = true, ["\n"] = true, ["."] = true,
                     [","] = true, ["["] = true, ["]"] = true, ["$"] = true, ["@"] = true, ["{"] = true,
                     ["}"] = true }

local parse_action -- forward

local function unquote(s)
  local q = s:sub(1, 1)
  local body = s:sub(2, -2)
  local out, i = {}, 1
  local SIMPLE = { n = "\n", t = "\t", r = "\r", a = "\a", b = "\b", f = "\f", v = "\v", ["\\"] = "\\",
                   ["'"] = "'", ['"'] = '"' }
  while i <= #body do
    local c = body:sub(i, i)
    if c == "\\" then
      local e = body:sub(i + 1, i + 1)
      if SIMPLE[e] then
        if (e == "'" and q == '"') then return nil, "invalid syntax" end
        out[#out + 1] = SIMPLE[e]
        i = i + 2
      elseif e == "x" then
        local h = body:match("^%x%x", i + 2)
        if not h then return nil, "invalid syntax" end
        out[#out + 1] = string.char(tonumber(h, 16))
        i = i + 4
      elseif e == "u" or e == "U" then
        local n = e == "u" and 4 or 8
        local h = body:match("^" .. string.rep("%x", n), i + 2)
        if not h then return nil, "invalid syntax" end
        local cp = tonumber(h, 16)
        if cp > 0x10FFFF then return nil, "invalid syntax" end
        out[#out + 1] = utf8.char(cp)
        i = i + 2 + n
      elseif e:find("^[0-7]") then
        local o = body:match("^[0-7][0-7][0-7]", i + 1)
        if not o or tonumber(o, 8) > 255 then return nil, "invalid syntax" end
        out[#out + 1] = string.char(tonumber(o, 8))
        i = i + 4
      else
        return nil, "invalid syntax"
      end
    elseif c == q then
      return nil, "invalid syntax"
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- A field name from position j of s up to a terminator, `\x` standing for x; returns it and
-- the terminator's position.
local function read_name(s, j)
  local name = {}
  while true do
    local d = s:sub(j, j)
    if d == "\\" then
      name[#name + 1] = s:sub(j + 1, j + 1)
      j = j + 2
    elseif TERMINATOR[d] then
      return table.concat(name), j
    else
      name[#name + 1] = d
      j = j + 1
    end
  end
end

local function parse_slice(text)
  local a, b, c = text:match("^(%-?%d*)(:?%-?%d*)(:?%-?%d*)$")
  if not a then return nil, "invalid array index " .. text end
  if b == "" and c ~= "" then return nil, "invalid array index " .. text end
  local node = { t = "index" }
  if b == "" then
    -- [n]: one element
    if a == "" then return nil, "invalid array index " .. text end
    node.single = tonumber(a)
    return node
  end
  node.start = a ~= "" and tonumber(a) or nil
  local e = b:sub(2)
  node.stop = e ~= "" and tonumber(e) or nil
  if c ~= "" then
    local s = c:sub(2)
    node.step = s ~= "" and tonumber(s) or nil
    if node.step == 0 then return nil, "step must not be zero" end
  end
  return node
end

-- Parses the inside of one action (without braces), from position i of s, up to the closing
-- `}` (or the end of s when inner). Returns nodes and the position after the closing brace.
parse_action = function(s, i, inner)
  local nodes = {}
  local n = #s
  while true do
    local c = s:sub(i, i)
    if c == "" then
      if inner then return nodes, i end
      return nil, "unclosed action"
    end
    if c == "}" and not inner then return nodes, i + 1 end
    if c == "\r" or c == "\n" then return nil, "unclosed action" end
    if s:sub(i, i + 2) == "[?(" then
      -- a filter: find the `)` that is not inside a quoted right-hand value, then `]`
      local j, q, closed = i + 3, nil, false
      while j <= n do
        local d = s:sub(j, j)
        if d == "\n" then break end
        if q then
          if d == q and s:sub(j - 1, j - 1) ~= "\\" then q = nil end
        elseif d == '"' or d == "'" then
          q = d
        elseif d == ")" then
          closed = true
          break
        end
        j = j + 1
      end
      if not closed then return nil, "unterminated filter" end
      if s:sub(j + 1, j + 1) ~= "]" then return nil, "unclosed array expect ]" end
      local text = s:sub(i + 3, j - 1)
      local left, op, right = text:match("^([^!<>=]+)([!<>=]+)(.-)$")
      local node = { t = "filter" }
      if left and right ~= "" then
        local ops = { ["=="] = true, ["!="] = true, ["<"] = true, [">"] = true, ["<="] = true, [">="] = true }
        if not ops[op] then return nil, "unrecognized filter operator " .. op end
        local l, err = parse_action(left, 1, true)
        if not l then return nil, err end
        local r, err2 = parse_action(right, 1, true)
        if not r then return nil, err2 end
        node.left, node.op, node.right = l, op, r
      else
        local l, err = parse_action(text, 1, true)
        if not l then return nil, err end
        node.left, node.op = l, "exists"
      end
      nodes[#nodes + 1] = node
      i = j + 2
    elseif s:sub(i, i + 1) == ".." then
      if nodes[#nodes] and nodes[#nodes].t == "recursive" then return nil, "invalid multiple recursive descent" end
      nodes[#nodes + 1] = { t = "recursive" }
      i = i + 2
      if s:sub(i, i):find("^[%w_]") then
        local name
        name, i = read_name(s, i)
        nodes[#nodes + 1] = { t = "field", name = name }
      end
    elseif c == " " or c == "@" or c == "$" then
      i = i + 1
    elseif c == "[" then
      local j = s:find("[%]\n]", i + 1)
      if not j or s:sub(j, j) ~= "]" then return nil, "unterminated array" end
      local text = s:sub(i + 1, j - 1)
      if text == "*" then text = ":" end
      if text:find(",", 1, true) then
        local union = {}
        for part in (text .. ","):gmatch("([^,]*),") do
          part = part:match("^%s*(.-)%s*$")
          local sub, err = parse_action("[" .. part .. "]", 1, true)
          if not sub then return nil, err end
          union[#union + 1] = sub
        end
        nodes[#nodes + 1] = { t = "union", lists = union }
      else
        local key = text:match("^'([^']*)'$")
        if key then
          local sub, err = parse_action("." .. key, 1, true)
          if not sub then return nil, err end
          for _, nd in ipairs(sub) do nodes[#nodes + 1] = nd end
        else
          local node, err = parse_slice(text)
          if not node then return nil, err end
          nodes[#nodes + 1] = node
        end
      end
      i = j + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while true do
        local d = s:sub(j, j)
        if d == "" or d == "\n" then return nil, "unterminated quoted string" end
        if d == c and s:sub(j - 1, j - 1) ~= "\\" then break end
        j = j + 1
      end
      local raw = s:sub(i, j)
      local text, err = unquote(raw)
      if not text then return nil, "unquote string " .. raw .. " error " .. err end
      nodes[#nodes + 1] = { t = "text", s = text }
      i = j + 1
    elseif c == "." then
      local f
      f, i = read_name(s, i + 1)
      nodes[#nodes + 1] = f == "*" and { t = "wild" } or { t = "field", name = f }
    elseif c:find("^[%+%-%d]") then
      local num = s:match("^[%+%-]?[%d%.]*", i)
      local v = math.tointeger(tonumber(num)) or tonumber(num)
      if not v then return nil, "cannot parse number " .. num end
      nodes[#nodes + 1] = { t = "num", v = v }
      i = i + #num
    elseif c:find("^[%w_\128-\255]") then
      local j = i
      while not TERMINATOR[s:sub(j, j)] do j = j + 1 end
      local word = s:sub(i, j - 1)
      if word == "true" or word == "false" then
        nodes[#nodes + 1] = { t = "bool", v = word == "true" }
      else
        nodes[#nodes + 1] = { t = "ident", name = word }
      end
      i = j
    else
      return nil, string.format("unrecognized character in action: U+%04X '%s'", c:byte(), c)
    end
  end
end

-- Compiles a template. Returns the program, or nil and kubectl's message.
function M.compile(template)
  if type(template) ~= "string" then return nil, "the template must be a string" end
  local root = { items = {} }
  local stack = { root }
  local i, n = 1, #template
  while i <= n do
    local j = template:find("{", i, true)
    local cur = stack[#stack]
    if not j then
      cur.items[#cur.items + 1] = { t = "text", s = template:sub(i) }
      break
    end
    if j > i then cur.items[#cur.items + 1] = { t = "text", s = template:sub(i, j - 1) } end
    local nodes, nxt = parse_action(template, j + 1, false)
    if not nodes then return nil, nxt end
    local first = nodes[1]
    if first and first.t == "ident" and first.name == "range" then
      local item = { t = "range", nodes = { table.unpack(nodes, 2) }, items = {} }
      cur.items[#cur.items + 1] = item
      stack[#stack + 1] = item
    elseif first and first.t == "ident" and first.name == "end" then
      if #nodes > 1 then return nil, "unexpected text after end" end
      if #stack == 1 then return nil, "not in range, nothing to end" end
      stack[#stack] = nil
    else
      for _, nd in ipairs(nodes) do
        if nd.t == "ident" then return nil, "unrecognized identifier " .. nd.name end
      end
      cur.items[#cur.items + 1] = { t = "expr", nodes = nodes }
    end
    i = nxt
  end
  return root
end

-- kubectl's RelaxedJSONPathExpression: "a.b", ".a.b", "{a.b}", "{.a.b}" all mean "{.a.b}".
function M.relaxed(expr)
  if expr == "" then return expr end
  local inner = expr:match("^{%.?([^{}]+)}$") or expr:match("^%.?([^{}]+)$")
  if not inner then
    return nil, "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
      .. "'{.name1.name2}'"
  end
  return "{." .. inner .. "}"
end

---------------------------------------------------------------------------------------------
-- Evaluation: every node maps a list of values to a list of values.

local eval_nodes -- forward

-- Evaluation errors are tables, so guard() tells them from bugs.
local function eval_error(msg) error({ jsonpath = msg }, 0) end

local function compare(op, a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb or (ta ~= "number" and ta ~= "string" and ta ~= "boolean") then
    if op == "==" then return false end
    if op == "!=" then return true end
    eval_error("incompatible types for comparison")
  end
  if ta == "boolean" and op ~= "==" and op ~= "!=" then eval_error("invalid type for comparison") end
  if op == "==" then return a == b end
  if op == "!=" then return a ~= b end
  if op == "<" then return a < b end
  if op == ">" then return a > b end
  if op == "<=" then return a <= b end
  return a >= b
end

local function eval_node(values, node)
  local out = {}
  local t = node.t
  if t == "field" then
    for _, v in ipairs(values) do
      if node.name == "" then
        out[#out + 1] = v
      elseif is_object(v) and v[node.name] ~= nil then
        out[#out + 1] = v[node.name]
      end
    end
  elseif t == "wild" then
    for _, v in ipairs(values) do
      if is_array(v) then
        for k = 1, #v do out[#out + 1] = v[k] end
      elseif is_object(v) then
        for _, k in ipairs(sorted_keys(v)) do out[#out + 1] = v[k] end
      end
    end
  elseif t == "recursive" then
    local function walk(v)
      local kids = {}
      if is_array(v) then
        for k = 1, #v do kids[#kids + 1] = v[k] end
      elseif is_object(v) then
        for _, k in ipairs(sorted_keys(v)) do kids[#kids + 1] = v[k] end
      end
      if #kids > 0 then
        out[#out + 1] = v
        for _, kid in ipairs(kids) do walk(kid) end
      end
    end
    for _, v in ipairs(values) do walk(v) end
  elseif t == "index" then
    for _, v in ipairs(values) do
      if v ~= json.null then
        if not is_array(v) then
          if is_object(v) and next(v) == nil then v = {} else
            eval_error((is_object(v) and "map[string]interface {}" or type(v)) .. " is not array or slice")
          end
        end
        local len = #v
        if node.single then
          local k = node.single
          if k < 0 then k = k + len end
          if k < 0 or k >= len then
            eval_error(string.format("array index out of bounds: index %d, length %d", node.single, len))
          end
          out[#out + 1] = v[k + 1]
        else
          local step = node.step or 1
          local a, b
          if step > 0 then
            a = node.start or 0
            b = node.stop or len
            if a < 0 then a = math.max(a + len, 0) end
            if b < 0 then b = b + len end
            a, b = math.min(a, len), math.min(b, len)
            for k = a, b - 1, step do out[#out + 1] = v[k + 1] end
          else
            a = node.start or (len - 1)
            b = node.stop or -len - 1
            if a < 0 then a = a + len end
            if b < 0 then b = b + len end
            a = math.min(a, len - 1)
            for k = a, b + 1, step do
              if k >= 0 then out[#out + 1] = v[k + 1] end
            end
          end
        end
      end
    end
  elseif t == "union" then
    for _, list in ipairs(node.lists) do
      for _, r in ipairs(eval_nodes(values, list)) do out[#out + 1] = r end
    end
  elseif t == "filter" then
    for _, v in ipairs(values) do
      if v ~= json.null then
        if not is_array(v) then
          if is_object(v) and next(v) == nil then v = {} else
            eval_error(go_print(v) .. " is not array or slice and cannot be filtered")
          end
        end
        for k = 1, #v do
          local item = v[k]
          local lefts = eval_nodes({ item }, node.left)
          if node.op == "exists" then
            if #lefts > 0 then out[#out + 1] = item end
          elseif #lefts == 1 then
            local rights = eval_nodes({ item }, node.right)
            if #rights ~= 1 then eval_error("can only compare one element at a time") end
            if compare(node.op, lefts[1], rights[1]) then out[#out + 1] = item end
          elseif #lefts > 1 then
            eval_error("can only compare one element at a time")
          end
        end
      end
    end
  elseif t == "text" then
    out[1] = node.s
  elseif t == "num" or t == "bool" then
    for _ = 1, #values do out[#out + 1] = node.v end
  end
  return out
end

eval_nodes = function(values, nodes)
  for _, node in ipairs(nodes) do
    values = eval_node(values, node)
  end
  return values
end

-- Runs items against data, calling emit(results) for each expression and each text.
local function run(items, data, emit)
  for _, item in ipairs(items) do
    if item.t == "text" then
      emit({ item.s }, true)
    elseif item.t == "expr" then
      emit(eval_nodes({ data }, item.nodes))
    else
      for _, v in ipairs(eval_nodes({ data }, item.nodes)) do run(item.items, v, emit) end
    end
  end
end

-- Renders one result as kubectl does: scalars with fmt.Print, maps and lists as compact JSON.
local function text_of(v)
  if type(v) == "table" and v ~= json.null then return go_json(v, nil, 0) end
  return go_print(v)
end

local function guard(f)
  local ok, res = pcall(f)
  if ok then return res end
  if type(res) == "table" and res.jsonpath then return nil, res.jsonpath end
  error(res, 0)
end

-- Executes a compiled template against data (a decoded JSON value).
function M.execute(prog, data)
  return guard(function()
    local out = {}
    run(prog.items, data, function(results, literal)
      if literal then
        out[#out + 1] = results[1]
        return
      end
      for k, r in ipairs(results) do
        out[#out + 1] = text_of(r)
        if k < #results then out[#out + 1] = " " end
      end
    end)
    return table.concat(out)
  end)
end

-- -o jsonpath-as-json: every result of the template in one JSON array, indented.
function M.execute_json(prog, data)
  return guard(function()
    local all = json.array({})
    run(prog.items, data, function(results)
      for _, r in ipairs(results) do all[#all + 1] = r end
    end)
    return go_json(all, "    ", 0) .. "\n"
  end)
end

-- The values a template finds (texts included), in order: custom columns and --sort-by.
function M.find(prog, data)
  return guard(function()
    local all = {}
    run(prog.items, data, function(results)
      for _, r in ipairs(results) do all[#all + 1] = r end
    end)
    return all
  end)
end

return M
