-- render.lua: compact, model-friendly text for Kubernetes tool results: kubectl-style
-- tables, ages, the output budget every result must respect (issue #5, "output shaped
-- for models"), clean copies and dumps. Pure Lua: runs in the server's sandbox and under
-- plain busted; encoders (yaml, json) are parameters, never required here. Owned by the
-- kubernetes tool set. Its neighbours: lua/printers.lua (kubectl's per-kind `get` columns
-- from plain objects), lua/describe.lua (`kubectl describe`), lua/text.lua (one value as
-- text), lua/value.lua (null-safe accessors).
--
--   render.age(seconds), render.since(timestamp, now), render.parse_time(timestamp)
--   render.now()                               time.now() in the server, else nil
--   render.clean(obj [, opts])                 managedFields and last-applied dropped
--   render.columns(rows [, opts])              cells aligned as Go's text/tabwriter does
--   render.table(table_obj [, opts])           a meta.k8s.io/v1 Table as `kubectl get` prints it
--   render.budget(text_or_lines, max_bytes [, opts]) -> text, info
--   render.budget_json(items, max_bytes [, opts])    -> items, info
--   render.kv(pairs [, opts]), render.dump(value)
--   render.copy(v), render.map_rows(rows, on_object, on_other)   deep copies (redact uses them)
--
-- Every function returns text without a trailing newline unless its input had one.

local V = require("value")
local T = require("text")

local M = {}

local json = json
local is_null, is_table, is_list, tbl, list, sorted_keys, bad_arg =
  V.is_null, V.is_table, V.is_list, V.tbl, V.list, V.sorted_keys, V.bad_arg
local num, compact, escape, split_lines, utf8_prefix = T.num, T.compact, T.escape, T.split_lines, T.utf8_prefix
local find, sub, upper, format, rep, concat =
  string.find, string.sub, string.upper, string.format, string.rep, table.concat

-- A host global that may be absent (busted has no `time`; `settings` arrives with the
-- kubernetes layer): the sandbox raises on reading an undeclared global, hence pcall.
local function host_global(name)
  local ok, v = pcall(function() return _ENV[name] end)
  return ok and v or nil
end

-- Left out by clean, and by describe's Annotations: it repeats the whole object.
M.LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
local LAST_APPLIED = M.LAST_APPLIED
local DEFAULT_MAX_BYTES = 32768

-- Display width in columns, counted in code points as Go's tabwriter does.
local function width(s) return utf8.len(s) or #s end

-- A Table cell as kubectl prints it: nothing for null, text cut at the first line break
-- with "...", numbers and booleans as Go's fmt.Sprint writes them.
local function cell_text(v)
  if is_null(v) then return "" end
  local t = type(v)
  if t == "string" then
    local cut = find(v, "[\f\n\r]")
    if cut then return escape(sub(v, 1, cut - 1)) .. "..." end
    return escape(v)
  end
  if t == "number" then return num(v) end
  if t == "boolean" then return tostring(v) end
  if t == "table" then return escape(compact(v)) end
  return tostring(v)
end

-- ---------------------------------------------------------------------------------------
-- Time

local function days_from_civil(y, m, d)
  y = y - (m <= 2 and 1 or 0)
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- RFC 3339 timestamp -> seconds since the epoch (with fractions), or nil.
function M.parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se, rest =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  local frac = 0
  local digits = rest:match("^%.(%d+)")
  if digits then
    frac = tonumber("0." .. digits)
    rest = sub(rest, #digits + 2)
  end
  local offset
  if rest == "Z" or rest == "z" then
    offset = 0
  else
    local sign, oh, om = rest:match("^([%+%-])(%d%d):(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
  end
  local t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset
  return frac > 0 and t + frac or t
end

-- "2m5s", or "2m" when the smaller unit's count is 0.
local function two_units(big, big_unit, small, small_unit)
  if small == 0 then return format("%d%s", big, big_unit) end
  return format("%d%s%d%s", big, big_unit, small, small_unit)
end

-- k8s.io/apimachinery/pkg/util/duration.HumanDuration, rule for rule: what kubectl shows
-- in AGE columns. Up to 2 seconds in the future reads "0s" (clock skew), more "<invalid>".
function M.age(seconds)
  if type(seconds) ~= "number" then bad_arg(1, "age", "number", seconds) end
  if seconds ~= seconds or seconds == math.huge or seconds == -math.huge then return "<invalid>" end
  local s = seconds < 0 and -((-seconds) // 1) or seconds // 1 -- Go's int(): toward zero
  s = math.tointeger(s) or s
  if s < -1 then return "<invalid>" end
  if s < 0 then return "0s" end
  if s < 120 then return format("%ds", s) end
  local m = s // 60
  if m < 10 then return two_units(m, "m", s % 60, "s") end
  if m < 180 then return format("%dm", m) end
  local h = s // 3600
  if h < 8 then return two_units(h, "h", m % 60, "m") end
  if h < 48 then return format("%dh", h) end
  if h < 24 * 8 then return two_units(h // 24, "d", h % 24, "h") end
  if h < 24 * 365 * 2 then return format("%dd", h // 24) end
  if h < 24 * 365 * 8 then return two_units(h // 24 // 365, "y", (h // 24) % 365, "d") end
  return format("%dy", h // 24 // 365)
end

-- The time ages are computed at when the caller gives none: time.now() in the server,
-- nil under busted (ages then read "<unknown>").
function M.now()
  local t = host_global("time")
  if type(t) == "table" and type(t.now) == "function" then return t.now() end
  return nil
end

-- Age of an RFC 3339 timestamp at `now` (seconds; default time.now() in the server);
-- "<unknown>" when the timestamp is missing or malformed, as kubectl.
function M.since(ts, now)
  local t = M.parse_time(ts)
  now = now or M.now()
  if not t or not now then return "<unknown>" end
  return M.age(now - t)
end

-- ---------------------------------------------------------------------------------------
-- clean

-- An empty table with v's metatable: keeps the json.array marker.
local function copy_shallow(v)
  local out = {}
  local mt = getmetatable(v)
  if mt ~= nil then setmetatable(out, mt) end
  return out
end

-- A deep copy (json.array marks kept).
local function copy(v)
  if not is_table(v) then return v end
  local out = copy_shallow(v)
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end
M.copy = copy

-- A copy of a meta.k8s.io Table's rows: each row's object through on_object, its other
-- fields through on_other; a row that is not an object is kept as it is.
function M.map_rows(rows, on_object, on_other)
  local out = copy_shallow(rows)
  for i, r in ipairs(rows) do
    if is_table(r) then
      local row = copy_shallow(r)
      for k, x in pairs(r) do
        if k == "object" then row[k] = on_object(x) else row[k] = on_other(x) end
      end
      out[i] = row
    else
      out[i] = r
    end
  end
  return out
end

-- The copy, leaving the dropped fields behind rather than copying and then deleting them
-- (managedFields are often most of an object).
local clean_copy

local function clean_metadata(md)
  local out = copy_shallow(md)
  for k, v in pairs(md) do
    if k == "annotations" and is_table(v) then
      local a, any = copy_shallow(v), false
      for name, value in pairs(v) do
        if name ~= LAST_APPLIED then a[name] = copy(value); any = true end
      end
      if any then out[k] = a end
    elseif k ~= "managedFields" then
      out[k] = copy(v)
    end
  end
  return out
end

clean_copy = function(obj)
  if not is_table(obj) then return obj end
  local out = copy_shallow(obj)
  for k, v in pairs(obj) do
    if k == "metadata" and is_table(v) then
      out[k] = clean_metadata(v)
    elseif k == "items" and is_table(v) and is_list(v) and obj.kind ~= "Table" then
      local items = copy_shallow(v)
      for i, item in ipairs(v) do items[i] = clean_copy(item) end
      out[k] = items
    elseif k == "rows" and is_table(v) and is_list(v) and obj.kind == "Table" then
      out[k] = M.map_rows(v, clean_copy, copy)
    else
      out[k] = copy(v)
    end
  end
  return out
end

-- A copy of obj (an object, a List or a Table) without metadata.managedFields and the
-- last-applied-configuration annotation: noise to a reader, and the annotation repeats
-- the object. opts.keep_managed: a plain copy.
function M.clean(obj, opts)
  if type(opts) == "table" and opts.keep_managed then return copy(obj) end
  return clean_copy(obj)
end

-- ---------------------------------------------------------------------------------------
-- columns: Go's text/tabwriter

-- rows: array of arrays of cell strings. Every cell but a row's last is padded to its
-- column's width; a column is a run of consecutive rows that have a cell there (a row
-- with fewer cells ends the run), exactly as tabwriter aligns tab-terminated cells.
-- opts.gap (padding, default 3) and opts.min_width (default 6, padding included) are
-- kubectl get's; describe uses 2 and 0. Trailing spaces are trimmed.
function M.columns(rows, opts)
  if type(rows) ~= "table" then bad_arg(1, "columns", "table", rows) end
  opts = opts or {}
  local gap, min_width = opts.gap or 3, opts.min_width or 6
  local out, widths = {}, {}
  local n = #rows
  -- Each cell's display width, once: the recursion below visits cells several times.
  local cw = {}
  for i = 1, n do
    local row, w = rows[i], {}
    for j = 1, #row do w[j] = width(row[j]) end
    cw[i] = w
  end

  local function write_rows(r0, r1)
    for i = r0, r1 - 1 do
      local row, w = rows[i], cw[i]
      local parts = {}
      for j = 1, #row do
        local c = row[j]
        parts[j] = c
        if j <= #widths then parts[j] = c .. rep(" ", widths[j] - w[j]) end
      end
      out[#out + 1] = (concat(parts):gsub(" +$", ""))
    end
  end

  local function fmt(r0, r1)
    local column = #widths + 1
    local this = r0
    while this < r1 do
      if column < #rows[this] then
        write_rows(r0, this)
        r0 = this
        local w = min_width
        while this < r1 and column < #rows[this] do
          local c = cw[this][column] + gap
          if c > w then w = c end
          this = this + 1
        end
        widths[#widths + 1] = w
        fmt(r0, this)
        widths[#widths] = nil
        r0 = this
      else
        this = this + 1
      end
    end
    write_rows(r0, r1)
  end

  fmt(1, n + 1)
  return concat(out, "\n")
end

-- ---------------------------------------------------------------------------------------
-- Tables

-- A meta.k8s.io/v1 Table (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) as
-- `kubectl get` prints it: priority-0 columns (opts.wide: all), upper-cased headers,
-- cells aligned. opts.namespace_column: a NAMESPACE column first, from each row's object
-- (PartialObjectMetadata with includeObject=Metadata, the default); opts.show_labels: a
-- LABELS column last; opts.no_headers; opts.empty: the text for a table without rows
-- (default "No resources found.").
function M.table(t, opts)
  if not is_table(t) or not is_table(t.columnDefinitions) then
    bad_arg(1, "table", "meta.k8s.io Table", t)
  end
  opts = opts or {}
  local rows = list(t.rows)
  if #rows == 0 then return opts.empty or "No resources found." end
  local defs, visible = list(t.columnDefinitions), {}
  for i, c in ipairs(defs) do
    if opts.wide or (tonumber(tbl(c).priority) or 0) == 0 then visible[#visible + 1] = i end
  end
  local out = {}
  if not opts.no_headers then
    local header = {}
    if opts.namespace_column then header[1] = "NAMESPACE" end
    for _, i in ipairs(visible) do header[#header + 1] = upper(cell_text(tbl(defs[i]).name)) end
    if opts.show_labels then header[#header + 1] = "LABELS" end
    out[1] = header
  end
  for _, r in ipairs(rows) do
    local cells, line = list(tbl(r).cells), {}
    local md = tbl(tbl(tbl(r).object).metadata)
    if opts.namespace_column then line[1] = cell_text(md.namespace) end
    for _, i in ipairs(visible) do line[#line + 1] = cell_text(cells[i]) end
    if opts.show_labels then line[#line + 1] = cell_text(T.labels(md.labels)) end
    out[#out + 1] = line
  end
  return M.columns(out, { gap = 3, min_width = 6 })
end

-- ---------------------------------------------------------------------------------------
-- Budget

local function default_budget()
  local s = host_global("settings")
  if type(s) == "table" and type(s.max_output_bytes) == "number" then return s.max_output_bytes end
  return DEFAULT_MAX_BYTES
end

local CUT_MARK = "..."

-- Text that fits in max_bytes (default settings.max_output_bytes, else 32768): whole
-- lines, never a line cut in two except one longer than the whole budget (cut at a UTF-8
-- boundary and marked "..."); the first opts.header lines (a table's header row) kept;
-- then one note line saying how many rows or lines were left out and how to get them:
--   [120 more rows not shown (output limit 32768 bytes); use continue="..."]
-- opts.next_hint: the "how to get the rest" text; opts.unit: "rows"/"lines" (default rows
-- with a header, else lines). input: text or an array of lines. Returns text and
-- {truncated=, shown=, omitted=, cut=} (shown/omitted count lines after the header).
function M.budget(input, max_bytes, opts)
  opts = opts or {}
  max_bytes = max_bytes or default_budget()
  if type(max_bytes) ~= "number" or max_bytes < 1 then
    error(format("bad argument #2 to 'budget' (positive number expected, got %s)", tostring(max_bytes)), 2)
  end
  local lines, text
  if type(input) == "string" then
    text = input
    lines = split_lines(input)
  elseif type(input) == "table" then
    lines = input
  else
    bad_arg(1, "budget", "string or table", input)
  end
  local header = math.min(math.max(math.tointeger(opts.header) or 0, 0), #lines)
  local data = #lines - header
  local total = 0
  for i, l in ipairs(lines) do total = total + #l + (i > 1 and 1 or 0) end
  if (text and #text or total) <= max_bytes then
    return text or concat(lines, "\n"), { truncated = false, shown = data, omitted = 0, cut = false }
  end

  local unit = opts.unit or (header > 0 and "rows" or "lines")
  local function note(omitted, cut_bytes)
    local parts = {}
    if cut_bytes then parts[#parts + 1] = format("line cut: %d more bytes not shown", cut_bytes) end
    if omitted > 0 then
      local u = unit
      if omitted == 1 then u = u:gsub("s$", "") end
      parts[#parts + 1] = format("%d more %s not shown", omitted, u)
    end
    return format("[%s (output limit %d bytes)%s]", concat(parts, "; "), max_bytes,
                  opts.next_hint and ("; " .. opts.next_hint) or "")
  end
  local out, used = {}, 0
  local function sep() return #out > 0 and 1 or 0 end
  local function push(l) used = used + sep() + #l; out[#out + 1] = l end
  local function finish(shown, omitted, cut_bytes)
    local n = note(omitted, cut_bytes)
    local t = #out > 0 and (concat(out, "\n") .. "\n" .. n) or n
    -- Only a budget too small for the note itself gets here over the limit.
    if #t > max_bytes then t = utf8_prefix(t, max_bytes) end
    return t, { truncated = true, shown = shown, omitted = omitted, cut = cut_bytes ~= nil }
  end
  -- As much of line l as fits beside the note that will follow (omitted lines after it),
  -- marked; returns the bytes left out, or nil when none of it fits.
  local function push_cut(l, omitted)
    local space = max_bytes - used - sep() - #CUT_MARK - 1 - #note(omitted, #l)
    local head = utf8_prefix(l, space)
    if head == "" then return nil end
    push(head .. CUT_MARK)
    return #l - #head
  end

  -- Room for whole lines: the budget less the longest note that can follow them.
  local avail = max_bytes - #note(data, nil) - 1
  for i = 1, header do
    if used + sep() + #lines[i] > avail then return finish(0, data, push_cut(lines[i], data)) end
    push(lines[i])
  end
  local shown = 0
  for i = header + 1, #lines do
    if used + sep() + #lines[i] > avail then break end
    push(lines[i])
    shown = shown + 1
  end
  if shown == 0 and data > 0 then
    local cut = push_cut(lines[header + 1], data - 1)
    if cut then return finish(1, data - 1, cut) end
  end
  return finish(shown, data - shown, nil)
end

-- For structuredContent lists: the longest prefix of items whose JSON fits in max_bytes
-- (default as budget), as a new array, and {truncated=, shown=, omitted=}. opts.encode:
-- the encoder (default json.encode in the server). Items are measured one by one, so a
-- list is encoded once more than it is sent.
function M.budget_json(items, max_bytes, opts)
  if type(items) ~= "table" then bad_arg(1, "budget_json", "table", items) end
  opts = opts or {}
  max_bytes = max_bytes or default_budget()
  local encode = opts.encode or json.encode
  if type(encode) ~= "function" then error("budget_json: no encoder (pass opts.encode)", 2) end
  local out = json.array and json.array({}) or {}
  local used = 2 -- []
  local n = #items
  for i = 1, n do
    local size = #encode(items[i]) + (i > 1 and 1 or 0)
    if used + size > max_bytes then
      return out, { truncated = true, shown = i - 1, omitted = n - i + 1 }
    end
    used = used + size
    out[i] = items[i]
  end
  return out, { truncated = false, shown = n, omitted = 0 }
end

-- ---------------------------------------------------------------------------------------
-- dump, kv

local function dump_into(v, indent, out)
  local pad = rep(" ", indent)
  if is_list(v) then
    for _, x in ipairs(v) do
      if is_table(x) and next(x) ~= nil and not is_list(x) then
        local sub_out = {}
        dump_into(x, 0, sub_out)
        out[#out + 1] = pad .. "- " .. sub_out[1]
        for i = 2, #sub_out do out[#out + 1] = pad .. "  " .. sub_out[i] end
      elseif is_table(x) and next(x) ~= nil then
        out[#out + 1] = pad .. "-"
        dump_into(x, indent + 2, out)
      elseif is_table(x) then
        out[#out + 1] = pad .. "- " .. (is_list(x) and "[]" or "{}")
      elseif type(x) == "string" and find(x, "\n", 1, true) then
        out[#out + 1] = pad .. "- |"
        for _, l in ipairs(split_lines(x)) do out[#out + 1] = pad .. "    " .. escape(l) end
      else
        out[#out + 1] = pad .. "- " .. T.scalar(x)
      end
    end
    return
  end
  for _, k in ipairs(sorted_keys(v)) do
    local x = v[k]
    local key = escape(tostring(k))
    if is_table(x) and next(x) ~= nil then
      out[#out + 1] = pad .. key .. ":"
      dump_into(x, indent + 2, out)
    elseif is_table(x) then
      out[#out + 1] = pad .. key .. ": " .. (is_list(x) and "[]" or "{}")
    elseif type(x) == "string" and find(x, "\n", 1, true) then
      out[#out + 1] = pad .. key .. ": |"
      for _, l in ipairs(split_lines(x)) do out[#out + 1] = pad .. "  " .. escape(l) end
    else
      out[#out + 1] = pad .. key .. ": " .. T.scalar(x)
    end
  end
end

-- A YAML-like indented dump (keys sorted, multi-line strings as | blocks) for reading,
-- not for parsing back: describe's fallback when no yaml encoder is passed.
function M.dump(v)
  if not is_table(v) then return T.scalar(v) end
  if next(v) == nil then return is_list(v) and "[]" or "{}" end
  local out = {}
  dump_into(v, 0, out)
  return concat(out, "\n")
end

-- "key:  value" lines, values aligned. pairs: an array of {key, value} (kept in order)
-- or a map (keys sorted). Values go through the table cell rules (nil -> "").
function M.kv(pairs_, opts)
  if type(pairs_) ~= "table" then bad_arg(1, "kv", "table", pairs_) end
  opts = opts or {}
  local rows = {}
  if is_list(pairs_) then
    for _, p in ipairs(pairs_) do rows[#rows + 1] = { cell_text(p[1]) .. ":", cell_text(p[2]) } end
  else
    for _, k in ipairs(sorted_keys(pairs_)) do rows[#rows + 1] = { cell_text(k) .. ":", cell_text(pairs_[k]) } end
  end
  return M.columns(rows, { gap = opts.gap or 2, min_width = 0 })
end

return M
