-- schema.lua: JSON Schema for tool arguments. check_schema() meta-checks a tool's
-- schema when the tool loads (Kong-style), validate() checks each call's
-- arguments and fills in defaults, to_json() gives the copy served as inputSchema.
--
-- Keywords (2020-12 meaning): type, enum, const, required, properties,
-- additionalProperties, minProperties, maxProperties, minimum, maximum,
-- exclusiveMinimum, exclusiveMaximum (numbers), multipleOf, minLength, maxLength,
-- pattern (ECMA subset, see regex.lua: classes, \d \w \s, groups, |, {m,n},
-- ^ $ \b; no lookaround or backreferences, which check_schema rejects), format
-- ("date-time", "date"; others ignored), items (one schema), minItems, maxItems,
-- uniqueItems, anyOf, oneOf, allOf, not, if/then/else, boolean schemas, and $ref
-- to a definition of the same schema ("#/$defs/name", "#/definitions/name", "#anchor"
-- via $anchor, "#" for the root; no remote references).
-- Annotations: description, title, default, examples, $schema, $id, $comment,
-- deprecated, readOnly, writeOnly, x-*.
--
-- Values are decoded JSON: json.null, booleans, numbers, strings, tables
-- (arrays marked by json.array, or plain 1..n sequences; anything else is an object).

local regex = require("regex")
local json = json

local M = {}

local MAX_DEPTH = 64   -- schema nesting; deeper is a cycle or a mistake
local MAX_REFS = 64    -- $ref hops in one validation path: a reference cycle stops here

-- The schema a $ref resolves against: set by validate and check_schema for the
-- duration of the call (they never yield), restored after, so nesting is safe.
local root = nil

-- Resolves a local reference against root; returns the schema or nil.
local function resolve(ref)
  if type(ref) ~= "string" or type(root) ~= "table" then return nil end
  if ref == "#" then return root end
  local kind, name = ref:match("^#/(%$?%a+)/([^/]+)$")
  if kind == "$defs" or kind == "definitions" then
    local defs = root[kind]
    name = name:gsub("~1", "/"):gsub("~0", "~")
    return type(defs) == "table" and defs[name] or nil
  end
  local anchor = ref:match("^#([%a_][%w_.%-]*)$")
  if anchor then
    for _, key in ipairs({ "$defs", "definitions" }) do
      for _, sub in pairs(type(root[key]) == "table" and root[key] or {}) do
        if type(sub) == "table" and sub["$anchor"] == anchor then return sub end
      end
    end
  end
  return nil
end
local SHOW_LIMIT = 80  -- bytes of a value quoted in a message

local function is_array(t)
  if json.is_array(t) then return true end
  local n = rawlen(t)
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local function is_table(v) return type(v) == "table" and v ~= json.null end

-- A number with no fractional part; inf - inf is NaN, so infinities fail.
local function is_integral(v)
  return math.type(v) == "integer" or (v == math.floor(v) and v - v == 0)
end

-- The JSON type name of v, as the model sees it ("integer" for 3 and 3.0).
local function json_type(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "number" then return is_integral(v) and "integer" or "number" end
  if t == "table" then return is_array(v) and "array" or "object" end
  return t
end

local function has_type(v, t)
  if t == "null" then return v == json.null end
  if t == "boolean" or t == "string" or t == "number" then return type(v) == t end
  if t == "integer" then return type(v) == "number" and is_integral(v) end
  if t == "array" then return is_table(v) and is_array(v) end
  if t == "object" then return is_table(v) and not is_array(v) end
  return false
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function show_number(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  local s = string.format("%.14g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return s
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "string" or ta == "number" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

-- Compact JSON for messages; depth-capped so a cyclic table cannot hang it.
local function render(v, out, depth)
  local t = json_type(v)
  if t == "string" then
    out[#out + 1] = quote(v)
  elseif t == "integer" or t == "number" then
    out[#out + 1] = show_number(v)
  elseif t == "null" or t == "boolean" then
    out[#out + 1] = t == "null" and "null" or tostring(v)
  elseif t == "array" or t == "object" then
    if depth > 8 then out[#out + 1] = "..."; return end
    local arr = t == "array"
    out[#out + 1] = arr and "[" or "{"
    local keys = arr and nil or sorted_keys(v)
    for i = 1, arr and rawlen(v) or #keys do
      if i > 1 then out[#out + 1] = "," end
      if arr then
        render(v[i], out, depth + 1)
      else
        out[#out + 1] = quote(tostring(keys[i])) .. ":"
        render(v[keys[i]], out, depth + 1)
      end
    end
    out[#out + 1] = arr and "]" or "}"
  else
    out[#out + 1] = "<" .. t .. ">"
  end
end

local function show(v)
  local out = {}
  render(v, out, 0)
  local s = table.concat(out)
  if #s > SHOW_LIMIT then
    -- Cut on a UTF-8 boundary: never between a lead byte and its continuations.
    local cut = SHOW_LIMIT - 3
    while cut > 0 and (s:byte(cut + 1) or 0) >= 0x80 and s:byte(cut + 1) < 0xC0 do cut = cut - 1 end
    s = s:sub(1, cut) .. "..."
  end
  return s
end

local function show_list(list)
  local parts = {}
  for i, v in ipairs(list) do parts[i] = show(v) end
  return table.concat(parts, ", ")
end

local function prop_path(path, name)
  if type(name) == "string" and name:match("^[%a_][%w_%-]*$") then return path .. "." .. name end
  return path .. "[" .. quote(tostring(name)) .. "]"
end

local function item_path(path, i) return path .. "[" .. (i - 1) .. "]" end

-- Deep copy; keeps array markers so [] stays [] when encoded.
local function copy(v)
  if not is_table(v) then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  if json.is_array(v) then json.array(out) end
  return out
end

-- JSON equality: 1 == 1.0, arrays and objects compared member by member.
local function equal(a, b)
  if a == b then return true end
  if not (is_table(a) and is_table(b)) or is_array(a) ~= is_array(b) then return false end
  for k, x in pairs(a) do
    if not equal(x, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function leap(y) return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) end
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function is_date(y, m, d)
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 then return false end
  return d <= ((m == 2 and leap(y)) and 29 or MONTH_DAYS[m])
end

-- RFC 3339 section 5.6, accepting "t" and a space for "T" as its note allows.
local function is_date_time(s)
  local y, mo, d, h, mi, sec, rest =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y or not is_date(y, mo, d) then return false end
  if tonumber(h) > 23 or tonumber(mi) > 59 or tonumber(sec) > 60 then return false end
  rest = rest:match("^%.%d+(.*)$") or rest
  if rest == "Z" or rest == "z" then return true end
  local oh, om = rest:match("^[+-](%d%d):(%d%d)$")
  return oh ~= nil and tonumber(oh) <= 23 and tonumber(om) <= 59
end

local FORMATS = {
  ["date-time"] = { test = is_date_time, name = "an RFC 3339 date-time" },
  date = { test = function(s)
    local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
    return y ~= nil and is_date(y, m, d)
  end, name = "an RFC 3339 full-date" },
}

local function type_list(t)
  return type(t) == "string" and t or table.concat(t, " or ")
end

local function lists_type(t, name)
  if t == name then return true end
  if type(t) ~= "table" then return false end
  for _, x in ipairs(t) do
    if x == name then return true end
  end
  return false
end

local function fail(path, fmt, ...)
  return nil, path .. ": " .. string.format(fmt, ...)
end

-- A branch's message relative to path: "expected string, got integer" or
-- ".a: missing ...", so anyOf/oneOf can list why each branch failed.
local function relative(err, path)
  if err:sub(1, #path) == path then
    local rest = err:sub(#path + 1)
    if rest:sub(1, 2) == ": " then return rest:sub(3) end
    if rest:match("^[.[]") then return rest end
  end
  return err
end

local check

local function branches(kw, subs, v, path)
  local errs, matched = {}, {}
  for i, sub in ipairs(subs) do
    local ok, err = check(sub, v, path, false)
    if ok then
      matched[#matched + 1] = i
    else
      errs[#errs + 1] = "[" .. (i - 1) .. "] " .. relative(err, path)
    end
  end
  return matched, path .. ": must match " .. (kw == "oneOf" and "exactly" or "at least") ..
    " one schema in " .. kw .. " (" .. table.concat(errs, "; ") .. ")"
end

local function check_number(s, v, path)
  if s.minimum ~= nil and v < s.minimum then
    return fail(path, "must be >= %s, got %s", show_number(s.minimum), show_number(v))
  end
  if s.exclusiveMinimum ~= nil and v <= s.exclusiveMinimum then
    return fail(path, "must be > %s, got %s", show_number(s.exclusiveMinimum), show_number(v))
  end
  if s.maximum ~= nil and v > s.maximum then
    return fail(path, "must be <= %s, got %s", show_number(s.maximum), show_number(v))
  end
  if s.exclusiveMaximum ~= nil and v >= s.exclusiveMaximum then
    return fail(path, "must be < %s, got %s", show_number(s.exclusiveMaximum), show_number(v))
  end
  local m = s.multipleOf
  if m ~= nil then
    local ok
    if math.type(v) == "integer" and math.type(m) == "integer" then
      ok = v % m == 0
    else
      -- Floats: 0.3 / 0.1 is 2.9999999999999996, so allow a relative epsilon.
      local q = v / m
      ok = q - q == 0 and math.abs(q - math.floor(q + 0.5)) <= 1e-9 * math.max(1, math.abs(q))
    end
    if not ok then
      return fail(path, "must be a multiple of %s, got %s", show_number(m), show_number(v))
    end
  end
  return true
end

local function check_string(s, v, path)
  if s.minLength == nil and s.maxLength == nil and s.pattern == nil and s.format == nil then
    return true
  end
  local len = utf8.len(v)
  if not len then return fail(path, "is not valid UTF-8") end
  if s.minLength ~= nil and len < s.minLength then
    return fail(path, "length must be >= %d, got %d", s.minLength, len)
  end
  if s.maxLength ~= nil and len > s.maxLength then
    return fail(path, "length must be <= %d, got %d", s.maxLength, len)
  end
  if s.pattern ~= nil then
    local re, err = regex.compile(s.pattern)
    if not re then return fail(path, "schema pattern %s is invalid: %s", quote(s.pattern), err) end
    if not regex.test(re, v) then return fail(path, "does not match pattern %s", quote(s.pattern)) end
  end
  local f = FORMATS[s.format]
  if f and not f.test(v) then return fail(path, "must be %s, got %s", f.name, show(v)) end
  return true
end

local function check_array(s, v, path, apply)
  local n = rawlen(v)
  if s.minItems ~= nil and n < s.minItems then
    return fail(path, "item count must be >= %d, got %d", s.minItems, n)
  end
  if s.maxItems ~= nil and n > s.maxItems then
    return fail(path, "item count must be <= %d, got %d", s.maxItems, n)
  end
  if s.items ~= nil then
    for i = 1, n do
      local ok, err = check(s.items, v[i], item_path(path, i), apply, v, i)
      if not ok then return nil, err end
    end
  end
  if s.uniqueItems then
    -- Scalars by key in one pass; tables (rare) pairwise.
    local seen, tables = {}, {}
    for i = 1, n do
      local x = v[i]
      if is_table(x) then
        for _, j in ipairs(tables) do
          if equal(v[j], x) then return fail(item_path(path, i), "duplicates item [%d]", j - 1) end
        end
        tables[#tables + 1] = i
      else
        -- Lua keys 1 and 1.0 alike, as JSON equality needs; NaN cannot be a key.
        if x == x then
          local j = seen[x]
          if j then return fail(item_path(path, i), "duplicates item [%d]", j - 1) end
          seen[x] = i
        end
      end
    end
  end
  return true
end

local function check_object(s, v, path, apply)
  local props = s.properties
  if apply and props then
    for name, sub in pairs(props) do
      if v[name] == nil and is_table(sub) and sub.default ~= nil then v[name] = copy(sub.default) end
    end
  end
  if s.required then
    for _, name in ipairs(s.required) do
      if v[name] == nil then return fail(path, "missing required property %s", quote(name)) end
    end
  end
  local keys = sorted_keys(v)
  for _, name in ipairs(keys) do
    local sub = props and props[name]
    if sub == nil then
      sub = s.additionalProperties
      if sub == false then return fail(path, "unknown property %s", quote(tostring(name))) end
    end
    if sub ~= nil then
      local ok, err = check(sub, v[name], prop_path(path, name), apply, v, name)
      if not ok then return nil, err end
    end
  end
  if s.minProperties ~= nil and #keys < s.minProperties then
    return fail(path, "property count must be >= %d, got %d", s.minProperties, #keys)
  end
  if s.maxProperties ~= nil and #keys > s.maxProperties then
    return fail(path, "property count must be <= %d, got %d", s.maxProperties, #keys)
  end
  return true
end

-- Validates v against s. With apply, fills defaults and stores integer-valued
-- floats as integers (holder[key]) so a handler never formats 3 as "3.0".
check = function(s, v, path, apply, holder, key, hops)
  if s == true then return true end
  if s == false then return fail(path, "no value is allowed here") end
  if s["$ref"] ~= nil then
    hops = (hops or 0) + 1
    local target = resolve(s["$ref"])
    if not target then return fail(path, "unresolvable $ref %s", show(s["$ref"])) end
    if hops > MAX_REFS then return fail(path, "$ref chain longer than %d (a cycle?)", MAX_REFS) end
    local ok, err = check(target, v, path, apply, holder, key, hops)
    if not ok then return nil, err end
  end
  if s["if"] ~= nil then
    local branch = check(s["if"], v, path, false) and s["then"] or s["else"]
    if branch ~= nil then
      local ok, err = check(branch, v, path, apply, holder, key)
      if not ok then return nil, err end
    end
  end

  local t = s.type
  if t ~= nil then
    local ok = false
    if type(t) == "string" then
      ok = has_type(v, t)
    else
      for _, x in ipairs(t) do
        if has_type(v, x) then ok = true; break end
      end
    end
    if not ok then return fail(path, "expected %s, got %s", type_list(t), json_type(v)) end
    if apply and holder ~= nil and math.type(v) == "float" and lists_type(t, "integer")
        and not lists_type(t, "number") then
      local i = math.tointeger(v)
      if i then v = i; holder[key] = i end
    end
  end

  if s.enum ~= nil then
    local found = false
    for _, e in ipairs(s.enum) do
      if equal(v, e) then found = true; break end
    end
    if not found then return fail(path, "must be one of %s, got %s", show_list(s.enum), show(v)) end
  end
  if s.const ~= nil and not equal(v, s.const) then
    return fail(path, "must equal %s, got %s", show(s.const), show(v))
  end

  local ok, err = true, nil
  local jt = json_type(v)
  if type(v) == "number" then
    ok, err = check_number(s, v, path)
  elseif jt == "string" then
    ok, err = check_string(s, v, path)
  elseif jt == "array" then
    ok, err = check_array(s, v, path, apply)
  elseif jt == "object" then
    ok, err = check_object(s, v, path, apply)
  end
  if not ok then return nil, err end

  if s.allOf then
    for _, sub in ipairs(s.allOf) do
      ok, err = check(sub, v, path, apply, holder, key)
      if not ok then return nil, err end
    end
  end
  -- Branches are tried without side effects; the one that matched is then
  -- re-run with apply so its defaults are filled.
  if s.anyOf then
    local matched, msg = branches("anyOf", s.anyOf, v, path)
    if #matched == 0 then return nil, msg end
    if apply then
      ok, err = check(s.anyOf[matched[1]], v, path, apply, holder, key)
      if not ok then return nil, err end
    end
  end
  if s.oneOf then
    local matched, msg = branches("oneOf", s.oneOf, v, path)
    if #matched == 0 then return nil, msg end
    if #matched > 1 then
      return fail(path, "must match exactly one schema in oneOf, matched [%d] and [%d]",
                  matched[1] - 1, matched[2] - 1)
    end
    if apply then
      ok, err = check(s.oneOf[matched[1]], v, path, apply, holder, key)
      if not ok then return nil, err end
    end
  end
  if s["not"] ~= nil and check(s["not"], v, path, false) then
    return fail(path, "must not match the schema in not")
  end
  return true
end

-- Validates value (decoded JSON) against s, a schema that passed check_schema.
-- Mutates value: fills absent properties that have a default (deep copies) and
-- turns integer-valued floats under type "integer" into Lua integers.
-- Returns true, or nil and "<path>: <reason>" for the first error, with path
-- starting at path (default "arguments"): arguments.containers[0].name.
function M.validate(s, value, path)
  if not (is_table(s) or type(s) == "boolean") then
    error("bad argument #1 to 'validate' (schema expected, got " .. json_type(s) .. ")", 2)
  end
  local outer = root
  root = s
  local ok, err = check(s, value, path or "arguments", true)
  root = outer
  return ok, err
end

--
-- Meta-check.
--

local TYPES = { null = true, boolean = true, integer = true, number = true,
                string = true, array = true, object = true }

local check_schema

-- Values inside enum/const/default/examples must be encodable as JSON.
local function data_error(v, w, depth)
  if depth > MAX_DEPTH then return w .. ": nested deeper than " .. MAX_DEPTH .. " levels" end
  local t = type(v)
  if v == json.null or t == "string" or t == "boolean" then return nil end
  if t == "number" then
    if v - v ~= 0 then return w .. ": must be a finite number" end
    return nil
  end
  if t ~= "table" then return w .. ": " .. t .. " is not JSON data" end
  local arr = is_array(v)
  for _, k in ipairs(sorted_keys(v)) do
    if not arr and type(k) ~= "string" then
      return w .. ": object keys must be strings, got " .. type(k)
    end
    local err = data_error(v[k], arr and item_path(w, k) or prop_path(w, k), depth + 1)
    if err then return err end
  end
  return nil
end

local function want(ok, w, what, v)
  if ok then return nil end
  return w .. ": must be " .. what .. ", got " .. json_type(v)
end

local function want_number(v, w)
  return want(type(v) == "number" and v - v == 0, w, "a finite number", v)
end

local function want_count(v, w)
  return want(type(v) == "number" and is_integral(v) and v >= 0, w, "a non-negative integer", v)
end

local function want_string(v, w) return want(type(v) == "string", w, "a string", v) end
local function want_boolean(v, w) return want(type(v) == "boolean", w, "a boolean", v) end

local function want_list(v, w)
  return want(is_table(v) and is_array(v), w, "a non-empty array", v)
end

local function want_schema(v, w, depth)
  local ok, err = check_schema(v, w, depth + 1)
  return not ok and err or nil
end

local function want_schema_list(v, w, depth)
  local err = want_list(v, w)
  if err then return err end
  for i, sub in ipairs(v) do
    err = want_schema(sub, item_path(w, i), depth)
    if err then return err end
  end
  return nil
end

-- keyword -> function(value, where_keyword, depth) returning an error or nil.
local KEYWORDS = {
  type = function(v, w)
    if type(v) == "string" then
      return not TYPES[v] and w .. ": unknown type " .. quote(v) or nil
    end
    local err = want_list(v, w)
    if err then return w .. ": must be a type name or a non-empty array of them" end
    local seen = {}
    for i, x in ipairs(v) do
      if type(x) ~= "string" or not TYPES[x] then return item_path(w, i) .. ": unknown type " .. show(x) end
      if seen[x] then return item_path(w, i) .. ": duplicate type " .. quote(x) end
      seen[x] = true
    end
    return nil
  end,
  enum = function(v, w)
    return want_list(v, w) or data_error(v, w, 0)
  end,
  const = function(v, w) return data_error(v, w, 0) end,
  required = function(v, w)
    -- An empty Lua table is the only way to write [] without json.array.
    if is_table(v) and next(v) == nil then return nil end
    local err = want_list(v, w)
    if err then return w .. ": must be an array of property names, got " .. json_type(v) end
    local seen = {}
    for i, x in ipairs(v) do
      if type(x) ~= "string" then return item_path(w, i) .. ": must be a string, got " .. json_type(x) end
      if seen[x] then return item_path(w, i) .. ": duplicate property " .. quote(x) end
      seen[x] = true
    end
    return nil
  end,
  properties = function(v, w, depth)
    if not is_table(v) or (next(v) ~= nil and is_array(v)) then
      return w .. ": must be an object mapping names to schemas, got " .. json_type(v)
    end
    for _, name in ipairs(sorted_keys(v)) do
      if type(name) ~= "string" then return w .. ": property names must be strings, got " .. type(name) end
      local err = want_schema(v[name], prop_path(w, name), depth)
      if err then return err end
    end
    return nil
  end,
  additionalProperties = want_schema,
  minProperties = want_count,
  maxProperties = want_count,
  minimum = want_number,
  maximum = want_number,
  exclusiveMinimum = function(v, w)
    if type(v) == "boolean" then return w .. ": must be a number (2020-12 form), got boolean" end
    return want_number(v, w)
  end,
  exclusiveMaximum = function(v, w)
    if type(v) == "boolean" then return w .. ": must be a number (2020-12 form), got boolean" end
    return want_number(v, w)
  end,
  multipleOf = function(v, w)
    return want(type(v) == "number" and v > 0 and v - v == 0, w, "a number > 0", v)
  end,
  minLength = want_count,
  maxLength = want_count,
  pattern = function(v, w)
    local err = want_string(v, w)
    if err then return err end
    local re, why = regex.compile(v)
    if not re then return w .. ": unsupported pattern " .. quote(v) .. ": " .. why end
    return nil
  end,
  format = want_string,
  items = function(v, w, depth)
    if is_table(v) and is_array(v) then
      return w .. ": must be one schema; the array (tuple) form is not supported"
    end
    return want_schema(v, w, depth)
  end,
  minItems = want_count,
  maxItems = want_count,
  uniqueItems = want_boolean,
  anyOf = want_schema_list,
  oneOf = want_schema_list,
  allOf = want_schema_list,
  ["not"] = want_schema,
  ["if"] = want_schema,
  ["then"] = want_schema,
  ["else"] = want_schema,
  ["$ref"] = function(v, w)
    if type(v) ~= "string" then return w .. ": must be a string, got " .. json_type(v) end
    if not resolve(v) then
      return w .. ": " .. quote(v) .. " does not resolve to a definition in this schema (only local #/$defs/..., #/definitions/... and #anchor references)"
    end
    return nil
  end,
  ["$defs"] = nil, -- set below, shared with definitions
  ["$defs_"] = function(v, w, depth)
    if not is_table(v) or (next(v) ~= nil and is_array(v)) then return w .. ": must be an object of schemas" end
    for _, name in ipairs(sorted_keys(v)) do
      local err = want_schema(v[name], prop_path(w, tostring(name)), depth)
      if err then return err end
    end
    return nil
  end,
  ["$anchor"] = want_string,
  ["$id"] = want_string,
  ["$defs_end"] = nil,
  description = want_string,
  title = want_string,
  ["$comment"] = want_string,
  ["$schema"] = want_string,
  default = function(v, w) return data_error(v, w, 0) end,
  examples = function(v, w)
    if is_table(v) and next(v) == nil then return nil end
    return want_list(v, w) or data_error(v, w, 0)
  end,
  deprecated = want_boolean,
  readOnly = want_boolean,
  writeOnly = want_boolean,
}

local BOUNDS = {
  { "minimum", "maximum" }, { "minLength", "maxLength" },
  { "minItems", "maxItems" }, { "minProperties", "maxProperties" },
}

check_schema = function(s, where, depth)
  if type(s) == "boolean" then return true end
  if not is_table(s) or (next(s) ~= nil and is_array(s)) then
    return nil, where .. ": schema must be an object or a boolean, got " .. json_type(s)
  end
  if depth > MAX_DEPTH then
    return nil, where .. ": schema nested deeper than " .. MAX_DEPTH .. " levels"
  end
  for _, k in ipairs(sorted_keys(s)) do
    if type(k) ~= "string" then
      return nil, where .. ": keywords must be strings, got " .. type(k) .. " key " .. tostring(k)
    end
    local kw = KEYWORDS[k]
    if kw then
      local err = kw(s[k], where .. "." .. k, depth)
      if err then return nil, err end
    elseif k:sub(1, 2) ~= "x-" then
      return nil, where .. ": unknown keyword " .. quote(k)
    end
  end
  for _, b in ipairs(BOUNDS) do
    local lo, hi = s[b[1]], s[b[2]]
    if lo and hi and lo > hi then
      return nil, string.format("%s: %s %s is greater than %s %s", where, b[1],
                                show_number(lo), b[2], show_number(hi))
    end
  end
  -- A required name the schema forbids could never be satisfied.
  if s.additionalProperties == false and s.required then
    for i, name in ipairs(s.required) do
      if not (s.properties and s.properties[name] ~= nil) then
        return nil, string.format("%s: %s is not in properties and additionalProperties is false",
                                  item_path(where .. ".required", i), quote(name))
      end
    end
  end
  if s.default ~= nil then
    local ok, err = check(s, copy(s.default), where .. ".default", false)
    if not ok then return nil, err end
  end
  return true
end

-- Checks that s is a schema this module can apply: known keywords with
-- well-formed values, translatable patterns, defaults valid for their schema.
-- Returns true, or nil and "<where>.<keyword path>: <reason>"; where defaults
-- to "schema", e.g. input.properties.tail.minimum: must be a finite number, got string.
function M.check_schema(s, where)
  local outer = root
  root = s
  local ok, err = check_schema(s, where or "schema", 0)
  root = outer
  return ok, err
end

KEYWORDS["$defs"] = KEYWORDS["$defs_"]
KEYWORDS.definitions = KEYWORDS["$defs_"]
KEYWORDS["$defs_"] = nil

local ARRAY_KEYWORDS = { required = true, enum = true, type = true, examples = true }
local SCHEMA_LISTS = { anyOf = true, oneOf = true, allOf = true }
local SCHEMAS = { items = true, additionalProperties = true, ["not"] = true,
                  ["if"] = true, ["then"] = true, ["else"] = true }

-- Returns a deep copy of s for serving as JSON: lists that JSON needs as
-- arrays (required, enum, type lists, examples, anyOf/oneOf/allOf) carry the
-- json.array marker, so an empty required = {} encodes as []; properties stays
-- an object. Does not modify s.
function M.to_json(s)
  if not is_table(s) then return s end
  local out = {}
  for k, v in pairs(s) do
    if (k == "properties" or k == "$defs" or k == "definitions") and is_table(v) then
      local props = {}
      for name, sub in pairs(v) do props[name] = M.to_json(sub) end
      out[k] = props
    elseif SCHEMAS[k] then
      out[k] = M.to_json(v)
    elseif SCHEMA_LISTS[k] and is_table(v) then
      local list = json.array({})
      for i, sub in ipairs(v) do list[i] = M.to_json(sub) end
      out[k] = list
    elseif ARRAY_KEYWORDS[k] and is_table(v) then
      out[k] = json.array(copy(v))
    else
      out[k] = copy(v)
    end
  end
  return out
end

return M
