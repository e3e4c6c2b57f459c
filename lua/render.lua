-- render.lua: compact, model-friendly text for Kubernetes tool results: kubectl-style
-- tables, ages, describe, and the output budget every result must respect (issue #5,
-- "output shaped for models"). Pure Lua: runs in the server's sandbox and under plain
-- busted; encoders (yaml, json) are parameters, never required here. Owned by the
-- kubernetes tool set.
--
--   render.age(seconds), render.since(timestamp, now), render.parse_time(timestamp)
--   render.clean(obj [, opts])                 managedFields and last-applied dropped
--   render.columns(rows [, opts])              cells aligned as Go's text/tabwriter does
--   render.table(table_obj [, opts])           a meta.k8s.io/v1 Table as `kubectl get` prints it
--   render.objects_table(kind, items [, opts]) the same from plain objects (no Table)
--   render.budget(text_or_lines, max_bytes [, opts]) -> text, info
--   render.budget_json(items, max_bytes [, opts])    -> items, info
--   render.describe(obj, events [, opts])      `kubectl describe`-like text
--   render.kv(pairs [, opts]), render.dump(value)
--
-- Every function returns text without a trailing newline unless its input had one.

local M = {}

local json = json
local null = json.null
local find, sub, byte, upper, lower, format, rep, concat =
  string.find, string.sub, string.byte, string.upper, string.lower, string.format,
  string.rep, table.concat

-- A host global that may be absent (busted has no `time`; `settings` arrives with the
-- kubernetes layer): the sandbox raises on reading an undeclared global, hence pcall.
local function host_global(name)
  local ok, v = pcall(function() return _ENV[name] end)
  return ok and v or nil
end

local LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
local DEFAULT_MAX_BYTES = 32768

local function is_null(v) return v == nil or (null ~= nil and v == null) end
local function is_table(v) return type(v) == "table" and not is_null(v) end
local function tbl(v) return is_table(v) and v or {} end
local function str(v) return type(v) == "string" and v or nil end

-- A JSON array: has [1], or is marked (an empty decoded array).
local function is_list(t)
  return t[1] ~= nil or (next(t) == nil and json.is_array(t))
end

local function list(v) return (is_table(v) and is_list(v)) and v or {} end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function bad_arg(n, fname, expected, got)
  error(format("bad argument #%d to '%s' (%s expected, got %s)", n, fname, expected, type(got)), 3)
end

-- Display width in columns, counted in code points as Go's tabwriter does.
local function width(s) return utf8.len(s) or #s end

-- ---------------------------------------------------------------------------------------
-- Numbers, scalars

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

-- Control characters in caret notation (ESC is "^[", as kubectl's terminal escaper
-- writes it), tabs as spaces: cell text must not move the cursor or split a column.
local function escape(s)
  if not find(s, "[%c\127]") then return s end
  return (s:gsub("[%c\127]", function(c)
    local b = byte(c)
    if b == 9 then return " " end
    if b == 127 then return "^?" end
    return "^" .. string.char(b + 64)
  end))
end

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
  if m < 10 then
    if s % 60 == 0 then return format("%dm", m) end
    return format("%dm%ds", m, s % 60)
  end
  if m < 180 then return format("%dm", m) end
  local h = s // 3600
  if h < 8 then
    if m % 60 == 0 then return format("%dh", h) end
    return format("%dh%dm", h, m % 60)
  end
  if h < 48 then return format("%dh", h) end
  if h < 24 * 8 then
    if h % 24 == 0 then return format("%dd", h // 24) end
    return format("%dd%dh", h // 24, h % 24)
  end
  if h < 24 * 365 * 2 then return format("%dd", h // 24) end
  if h < 24 * 365 * 8 then
    local dy = (h // 24) % 365
    if dy == 0 then return format("%dy", h // 24 // 365) end
    return format("%dy%dd", h // 24 // 365, dy)
  end
  return format("%dy", h // 24 // 365)
end

local function default_now()
  local t = host_global("time")
  if type(t) == "table" and type(t.now) == "function" then return t.now() end
  return nil
end

-- Age of an RFC 3339 timestamp at `now` (seconds; default time.now() in the server);
-- "<unknown>" when the timestamp is missing or malformed, as kubectl.
function M.since(ts, now)
  local t = M.parse_time(ts)
  now = now or default_now()
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

local function copy(v)
  if not is_table(v) then return v end
  local out = copy_shallow(v)
  for k, x in pairs(v) do out[k] = copy(x) end
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
      local rows = copy_shallow(v)
      for i, r in ipairs(v) do
        if is_table(r) then
          local row = copy_shallow(r)
          for rk, rv in pairs(r) do row[rk] = rk == "object" and clean_copy(rv) or copy(rv) end
          rows[i] = row
        else
          rows[i] = r
        end
      end
      out[k] = rows
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

  local function write_rows(r0, r1)
    for i = r0, r1 - 1 do
      local row = rows[i]
      local parts = {}
      for j = 1, #row do
        local c = row[j]
        parts[j] = c
        if j <= #widths then parts[j] = c .. rep(" ", widths[j] - width(c)) end
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
          local cw = width(rows[this][column]) + gap
          if cw > w then w = cw end
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

local function labels_text(labels)
  if not is_table(labels) or next(labels) == nil then return "<none>" end
  local parts = {}
  for _, k in ipairs(sorted_keys(labels)) do parts[#parts + 1] = k .. "=" .. tostring(labels[k]) end
  return concat(parts, ",")
end

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
    if opts.show_labels then line[#line + 1] = cell_text(labels_text(md.labels)) end
    out[#out + 1] = line
  end
  return M.columns(out, { gap = 3, min_width = 6 })
end

-- ---------------------------------------------------------------------------------------
-- objects_table: kubectl's printers for a few kinds, from plain objects

local function count_str(v, default)
  if type(v) == "number" then return num(v) end
  return default or "0"
end

local function containers_images(pod_spec)
  local names, images = {}, {}
  for _, c in ipairs(list(tbl(pod_spec).containers)) do
    names[#names + 1] = str(tbl(c).name) or ""
    images[#images + 1] = str(tbl(c).image) or ""
  end
  return concat(names, ","), concat(images, ",")
end

-- metav1.LabelSelectorAsSelector(sel).String()
local function selector_text(sel)
  if not is_table(sel) then return "<none>" end
  local parts = {}
  local ml = tbl(sel.matchLabels)
  for _, k in ipairs(sorted_keys(ml)) do parts[#parts + 1] = k .. "=" .. tostring(ml[k]) end
  for _, e in ipairs(list(sel.matchExpressions)) do
    local key, op = str(tbl(e).key) or "", e.operator
    local values = {}
    for _, v in ipairs(list(e.values)) do values[#values + 1] = tostring(v) end
    table.sort(values)
    if op == "In" then parts[#parts + 1] = key .. " in (" .. concat(values, ",") .. ")"
    elseif op == "NotIn" then parts[#parts + 1] = key .. " notin (" .. concat(values, ",") .. ")"
    elseif op == "Exists" then parts[#parts + 1] = key
    elseif op == "DoesNotExist" then parts[#parts + 1] = "!" .. key end
  end
  table.sort(parts)
  return #parts > 0 and concat(parts, ",") or "<none>"
end

local function map_selector(m)
  if not is_table(m) or next(m) == nil then return "<none>" end
  return labels_text(m)
end

-- printPod's READY, STATUS and RESTARTS (k8s.io/kubernetes/pkg/printers/internalversion).
local function pod_status(p, now)
  local spec, st = tbl(p.spec), tbl(p.status)
  local total = #list(spec.containers)
  local ready, restarts, last_restart = 0, 0, nil
  local reason = str(st.reason) or str(st.phase) or ""
  local sidecars = {}
  for _, c in ipairs(list(spec.initContainers)) do
    if tbl(c).restartPolicy == "Always" then sidecars[c.name] = true; total = total + 1 end
  end
  local function note_restart(cs)
    local ft = M.parse_time(tbl(tbl(cs.lastState).terminated).finishedAt)
    if ft and (not last_restart or ft > last_restart) then last_restart = ft end
  end
  local inits = list(st.initContainerStatuses)
  local initializing = false
  for i, cs in ipairs(inits) do
    cs = tbl(cs)
    restarts = restarts + (tonumber(cs.restartCount) or 0)
    note_restart(cs)
    local state = tbl(cs.state)
    local term, wait = tbl(state.terminated), tbl(state.waiting)
    if is_table(state.terminated) and term.exitCode == 0 then
      -- done: next
    elseif sidecars[cs.name] and cs.started then
      if cs.ready then ready = ready + 1 end
    else
      if is_table(state.terminated) then
        if str(term.reason) and term.reason ~= "" then reason = "Init:" .. term.reason
        elseif tonumber(term.signal) and term.signal ~= 0 then reason = "Init:Signal:" .. num(term.signal)
        else reason = "Init:ExitCode:" .. num(tonumber(term.exitCode) or 0) end
      elseif str(wait.reason) and wait.reason ~= "" and wait.reason ~= "PodInitializing" then
        reason = "Init:" .. wait.reason
      else
        reason = format("Init:%d/%d", i - 1, #list(spec.initContainers))
      end
      initializing = true
      break
    end
  end
  local initialized = false
  for _, c in ipairs(list(st.conditions)) do
    if tbl(c).type == "Initialized" and c.status == "True" then initialized = true end
  end
  if not initializing or initialized then
    restarts, last_restart = 0, nil
    for _, cs in ipairs(inits) do
      if sidecars[tbl(cs).name] then restarts = restarts + (tonumber(cs.restartCount) or 0) end
    end
    local has_running = false
    local statuses = list(st.containerStatuses)
    for i = #statuses, 1, -1 do
      local cs = tbl(statuses[i])
      restarts = restarts + (tonumber(cs.restartCount) or 0)
      note_restart(cs)
      local state = tbl(cs.state)
      local term = tbl(state.terminated)
      if str(tbl(state.waiting).reason) and state.waiting.reason ~= "" then
        reason = state.waiting.reason
      elseif str(term.reason) and term.reason ~= "" then
        reason = term.reason
      elseif is_table(state.terminated) then
        if tonumber(term.signal) and term.signal ~= 0 then reason = "Signal:" .. num(term.signal)
        else reason = "ExitCode:" .. num(tonumber(term.exitCode) or 0) end
      elseif cs.ready and is_table(state.running) then
        has_running = true
        ready = ready + 1
      end
    end
    if reason == "Completed" and has_running then
      reason = "NotReady"
      for _, c in ipairs(list(st.conditions)) do
        if tbl(c).type == "Ready" and c.status == "True" then reason = "Running" end
      end
    end
  end
  local md = tbl(p.metadata)
  if str(md.deletionTimestamp) then
    if st.reason == "NodeLost" then reason = "Unknown"
    elseif st.phase ~= "Succeeded" and st.phase ~= "Failed" then reason = "Terminating" end
  end
  local restarts_text = num(restarts)
  if restarts > 0 and last_restart and now then
    restarts_text = format("%s (%s ago)", restarts_text, M.age(now - last_restart))
  end
  return format("%d/%d", ready, total), reason, restarts_text
end

-- pod_status once per row, for the three columns it fills.
local function pod_row(o, now, row)
  if not row.pod then row.pod = { pod_status(o, now) } end
  return row.pod
end

local function node_roles(labels)
  local roles, seen = {}, {}
  for k in pairs(tbl(labels)) do
    local role = type(k) == "string" and k:match("^node%-role%.kubernetes%.io/(.*)$")
    if role and role ~= "" and not seen[role] then seen[role] = true; roles[#roles + 1] = role end
  end
  local r = tbl(labels)["kubernetes.io/role"]
  if str(r) and r ~= "" and not seen[r] then roles[#roles + 1] = r end
  table.sort(roles)
  return #roles > 0 and concat(roles, ",") or "<none>"
end

local function node_status(n)
  local status = "Unknown"
  for _, c in ipairs(list(tbl(n.status).conditions)) do
    if tbl(c).type == "Ready" then status = c.status == "True" and "Ready" or "NotReady" end
  end
  if tbl(n.spec).unschedulable then status = status .. ",SchedulingDisabled" end
  return status
end

local function node_address(n, kind)
  for _, a in ipairs(list(tbl(n.status).addresses)) do
    if tbl(a).type == kind then return str(a.address) or "<none>" end
  end
  return "<none>"
end

local function service_ports(s)
  local out = {}
  for _, p in ipairs(list(tbl(s.spec).ports)) do
    p = tbl(p)
    local proto = str(p.protocol) or "TCP"
    if tonumber(p.nodePort) and p.nodePort ~= 0 then
      out[#out + 1] = format("%s:%s/%s", num(p.port or 0), num(p.nodePort), proto)
    else
      out[#out + 1] = format("%s/%s", num(tonumber(p.port) or 0), proto)
    end
  end
  return #out > 0 and concat(out, ",") or "<none>"
end

local function service_external(s)
  local spec = tbl(s.spec)
  local stype = str(spec.type) or "ClusterIP"
  local ips = {}
  for _, ip in ipairs(list(spec.externalIPs)) do ips[#ips + 1] = tostring(ip) end
  if stype == "LoadBalancer" then
    local lb = {}
    for _, i in ipairs(list(tbl(tbl(s.status).loadBalancer).ingress)) do
      lb[#lb + 1] = str(tbl(i).ip) or str(i.hostname) or ""
    end
    for _, ip in ipairs(ips) do lb[#lb + 1] = ip end
    return #lb > 0 and concat(lb, ",") or "<pending>"
  elseif stype == "ExternalName" then
    return str(spec.externalName) or "<none>"
  end
  return #ips > 0 and concat(ips, ",") or "<none>"
end

-- Event times: LAST SEEN (series, lastTimestamp, eventTime, firstTimestamp) as kubectl.
local function event_last_seen(e, now)
  if is_table(e.series) and str(e.series.lastObservedTime) then
    return M.since(e.series.lastObservedTime, now)
  end
  if str(e.lastTimestamp) then return M.since(e.lastTimestamp, now) end
  if str(e.eventTime) then return M.since(e.eventTime, now) end
  return M.since(e.firstTimestamp, now)
end

local function event_first_seen(e, now)
  if str(e.eventTime) then return M.since(e.eventTime, now) end
  return M.since(e.firstTimestamp, now)
end

local function event_object(e)
  local io = tbl(e.involvedObject or e.regarding)
  local kind = lower(str(io.kind) or "")
  if str(io.name) and io.name ~= "" then return kind .. "/" .. io.name end
  return kind
end

local function one_line(s)
  s = (str(s) or ""):gsub("^%s+", ""):gsub("%s+$", "")
  return (s:gsub("%s*\n%s*", " "))
end

local function c(name, cell, priority) return { name = name, cell = cell, priority = priority or 0 } end

local function pod_template(o) return tbl(tbl(tbl(o).spec).template).spec end
local function job_template(o) return pod_template(tbl(tbl(o.spec).jobTemplate)) end

local WIDE_TEMPLATE = {
  c("Containers", function(o) return (containers_images(pod_template(o))) end, 1),
  c("Images", function(o) return select(2, containers_images(pod_template(o))) end, 1),
  c("Selector", function(o) return selector_text(tbl(o.spec).selector) end, 1),
}

local function with_wide(cols, wide)
  local out = {}
  for _, x in ipairs(cols) do out[#out + 1] = x end
  for _, x in ipairs(wide) do out[#out + 1] = x end
  return out
end

local AGE = c("Age", function(o, now) return M.since(tbl(o.metadata).creationTimestamp, now) end)

-- Per kind (lower case): columns after NAME; AGE is placed where kubectl puts it.
local KINDS = {
  pod = {
    c("Ready", function(o, now, row) return pod_row(o, now, row)[1] end),
    c("Status", function(o, now, row) return pod_row(o, now, row)[2] end),
    c("Restarts", function(o, now, row) return pod_row(o, now, row)[3] end),
    AGE,
    c("IP", function(o) return str(tbl(o.status).podIP) or "<none>" end, 1),
    c("Node", function(o) return str(tbl(o.spec).nodeName) or "<none>" end, 1),
    c("Nominated Node", function(o) return str(tbl(o.status).nominatedNodeName) or "<none>" end, 1),
    c("Readiness Gates", function(o)
      local gates = list(tbl(o.spec).readinessGates)
      if #gates == 0 then return "<none>" end
      local conds, n = {}, 0
      for _, x in ipairs(list(tbl(o.status).conditions)) do conds[tbl(x).type] = x.status end
      for _, g in ipairs(gates) do if conds[tbl(g).conditionType] == "True" then n = n + 1 end end
      return format("%d/%d", n, #gates)
    end, 1),
  },
  deployment = with_wide({
    c("Ready", function(o)
      return format("%s/%s", count_str(tbl(o.status).readyReplicas),
                    count_str(tbl(o.spec).replicas, "1"))
    end),
    c("Up-to-date", function(o) return count_str(tbl(o.status).updatedReplicas) end),
    c("Available", function(o) return count_str(tbl(o.status).availableReplicas) end),
    AGE,
  }, WIDE_TEMPLATE),
  replicaset = with_wide({
    c("Desired", function(o) return count_str(tbl(o.spec).replicas, "1") end),
    c("Current", function(o) return count_str(tbl(o.status).replicas) end),
    c("Ready", function(o) return count_str(tbl(o.status).readyReplicas) end),
    AGE,
  }, WIDE_TEMPLATE),
  statefulset = with_wide({
    c("Ready", function(o)
      return format("%s/%s", count_str(tbl(o.status).readyReplicas),
                    count_str(tbl(o.spec).replicas, "1"))
    end),
    AGE,
  }, { WIDE_TEMPLATE[1], WIDE_TEMPLATE[2] }),
  daemonset = with_wide({
    c("Desired", function(o) return count_str(tbl(o.status).desiredNumberScheduled) end),
    c("Current", function(o) return count_str(tbl(o.status).currentNumberScheduled) end),
    c("Ready", function(o) return count_str(tbl(o.status).numberReady) end),
    c("Up-to-date", function(o) return count_str(tbl(o.status).updatedNumberScheduled) end),
    c("Available", function(o) return count_str(tbl(o.status).numberAvailable) end),
    c("Node Selector", function(o) return map_selector(tbl(pod_template(o)).nodeSelector) end),
    AGE,
  }, WIDE_TEMPLATE),
  job = with_wide({
    c("Status", function(o)
      local conds = {}
      for _, x in ipairs(list(tbl(o.status).conditions)) do
        if tbl(x).status == "True" then conds[x.type] = true end
      end
      if conds.Complete then return "Complete" end
      if conds.Failed then return "Failed" end
      if str(tbl(o.metadata).deletionTimestamp) then return "Terminating" end
      if conds.Suspended then return "Suspended" end
      return "Running"
    end),
    c("Completions", function(o)
      local spec = tbl(o.spec)
      local done = count_str(tbl(o.status).succeeded)
      if type(spec.completions) == "number" then return done .. "/" .. num(spec.completions) end
      local par = tonumber(spec.parallelism) or 1
      if par > 1 then return format("%s/1 of %s", done, num(par)) end
      return done .. "/1"
    end),
    c("Duration", function(o, now)
      local st = tbl(o.status)
      local start, done = M.parse_time(st.startTime), M.parse_time(st.completionTime)
      if not start then return "" end
      if done then return M.age(done - start) end
      return now and M.age(now - start) or "<unknown>"
    end),
    AGE,
  }, WIDE_TEMPLATE),
  cronjob = {
    c("Schedule", function(o) return str(tbl(o.spec).schedule) or "" end),
    c("Timezone", function(o) return str(tbl(o.spec).timeZone) or "<none>" end),
    c("Suspend", function(o) return tbl(o.spec).suspend == true and "True" or "False" end),
    c("Active", function(o) return num(#list(tbl(o.status).active)) end),
    c("Last Schedule", function(o, now)
      local last = tbl(o.status).lastScheduleTime
      return str(last) and M.since(last, now) or "<none>"
    end),
    AGE,
    c("Containers", function(o) return (containers_images(job_template(o))) end, 1),
    c("Images", function(o) return select(2, containers_images(job_template(o))) end, 1),
    c("Selector", function(o)
      return selector_text(tbl(tbl(tbl(o.spec).jobTemplate).spec).selector)
    end, 1),
  },
  service = {
    c("Type", function(o) return str(tbl(o.spec).type) or "ClusterIP" end),
    c("Cluster-IP", function(o) return str(tbl(o.spec).clusterIP) or "<none>" end),
    c("External-IP", service_external),
    c("Port(s)", service_ports),
    AGE,
    c("Selector", function(o) return map_selector(tbl(o.spec).selector) end, 1),
  },
  node = {
    c("Status", node_status),
    c("Roles", function(o) return node_roles(tbl(o.metadata).labels) end),
    AGE,
    c("Version", function(o) return str(tbl(tbl(o.status).nodeInfo).kubeletVersion) or "" end),
    c("Internal-IP", function(o) return node_address(o, "InternalIP") end, 1),
    c("External-IP", function(o) return node_address(o, "ExternalIP") end, 1),
    c("OS-Image", function(o) return str(tbl(tbl(o.status).nodeInfo).osImage) or "<unknown>" end, 1),
    c("Kernel-Version", function(o)
      return str(tbl(tbl(o.status).nodeInfo).kernelVersion) or "<unknown>"
    end, 1),
    c("Container-Runtime", function(o)
      return str(tbl(tbl(o.status).nodeInfo).containerRuntimeVersion) or "<unknown>"
    end, 1),
  },
  namespace = {
    c("Status", function(o) return str(tbl(o.status).phase) or "" end),
    AGE,
  },
  configmap = {
    c("Data", function(o)
      local n = 0
      for _ in pairs(tbl(o.data)) do n = n + 1 end
      for _ in pairs(tbl(o.binaryData)) do n = n + 1 end
      return num(n)
    end),
    AGE,
  },
  secret = {
    c("Type", function(o) return str(o.type) or "" end),
    c("Data", function(o)
      local n = 0
      for _ in pairs(tbl(o.data)) do n = n + 1 end
      return num(n)
    end),
    AGE,
  },
  event = {
    no_name = true,
    c("Last Seen", event_last_seen),
    c("Type", function(o) return str(o.type) or "" end),
    c("Reason", function(o) return str(o.reason) or "" end),
    c("Object", event_object),
    c("Subobject", function(o) return str(tbl(o.involvedObject).fieldPath) or "" end, 1),
    c("Source", function(o)
      local src = tbl(o.source)
      local s = str(src.component) or str(o.reportingComponent) or ""
      local host = str(src.host) or str(o.reportingInstance)
      if host and host ~= "" then s = s .. ", " .. host end
      return s
    end, 1),
    c("Message", function(o) return one_line(o.message) end),
    c("First Seen", event_first_seen, 1),
    c("Count", function(o)
      if is_table(o.series) and type(o.series.count) == "number" then return num(o.series.count) end
      return num(tonumber(o.count) or 1)
    end, 1),
    c("Name", function(o) return str(tbl(o.metadata).name) or "" end, 1),
  },
}

local function kind_columns(kind)
  local k = lower(kind or "")
  if KINDS[k] then return KINDS[k] end
  if sub(k, -1) == "s" and KINDS[sub(k, 1, -2)] then return KINDS[sub(k, 1, -2)] end
  if sub(k, -2) == "es" and KINDS[sub(k, 1, -3)] then return KINDS[sub(k, 1, -3)] end
  return { AGE }
end

-- The columns kubectl prints for `kind` (Pod, pods, pod; Deployment, Service, Node, Event,
-- ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Namespace, ConfigMap, Secret; any
-- other kind: NAME, AGE) computed from plain objects, for when no Table is available.
-- items: an array of objects or a List. Same opts as render.table; opts.now (seconds) is
-- the time ages are computed at (default time.now() in the server).
function M.objects_table(kind, items, opts)
  if type(kind) ~= "string" then bad_arg(1, "objects_table", "string", kind) end
  if type(items) ~= "table" then bad_arg(2, "objects_table", "table", items) end
  if is_table(items.items) then items = items.items end -- a List object
  opts = opts or {}
  local now = opts.now or default_now()
  local cols = kind_columns(kind)
  local defs, fns = {}, {}
  if not cols.no_name then
    defs[1] = { name = "Name", type = "string", format = "name", priority = 0 }
    fns[1] = function(o) return str(tbl(o.metadata).name) or "" end
  end
  for _, col in ipairs(cols) do
    defs[#defs + 1] = { name = col.name, type = "string", format = "", priority = col.priority }
    fns[#fns + 1] = col.cell
  end
  local rows = {}
  for i, o in ipairs(list(items)) do
    o = tbl(o)
    local cells, row = {}, {}
    for j, f in ipairs(fns) do cells[j] = f(o, now, row) end
    rows[i] = { cells = cells, object = o }
  end
  return M.table({ columnDefinitions = defs, rows = rows }, opts)
end

-- ---------------------------------------------------------------------------------------
-- Budget

-- The longest prefix of s within n bytes that does not end inside a UTF-8 sequence.
local function utf8_prefix(s, n)
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
M.utf8_prefix = utf8_prefix

local function default_budget()
  local s = host_global("settings")
  if type(s) == "table" and type(s.max_output_bytes) == "number" then return s.max_output_bytes end
  return DEFAULT_MAX_BYTES
end

local function split_lines(text)
  local lines = {}
  local pos = 1
  while true do
    local nl = find(text, "\n", pos, true)
    if not nl then
      if pos <= #text then lines[#lines + 1] = sub(text, pos) end
      return lines
    end
    lines[#lines + 1] = sub(text, pos, nl - 1)
    pos = nl + 1
  end
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

local function scalar_text(v)
  if is_null(v) then return "null" end
  if type(v) == "number" then return num(v) end
  if type(v) == "string" then
    if v == "" then return '""' end
    return escape(v)
  end
  return tostring(v)
end

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
        out[#out + 1] = pad .. "- " .. scalar_text(x)
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
      out[#out + 1] = pad .. key .. ": " .. scalar_text(x)
    end
  end
end

-- A YAML-like indented dump (keys sorted, multi-line strings as | blocks) for reading,
-- not for parsing back: describe's fallback when no yaml encoder is passed.
function M.dump(v)
  if not is_table(v) then return scalar_text(v) end
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

-- ---------------------------------------------------------------------------------------
-- describe

-- Lines of cells at an indentation level; formatted as kubectl's describe tabwriter
-- (padding 2). A value with line breaks continues below itself, aligned.
local Writer = {}
Writer.__index = Writer

local function new_writer(now)
  return setmetatable({ rows = {}, now = now }, Writer)
end

local function value_text(v)
  if is_null(v) then return "<none>" end
  if type(v) == "string" then return v end
  if type(v) == "table" then return compact(v) end
  if type(v) == "number" then return num(v) end
  return tostring(v)
end

-- w:add(level, "Key", value): "Key:<tab>value"; value nil -> a section header "Key:".
function Writer:add(level, key, value)
  local indent = rep("  ", level)
  if value == nil then
    self.rows[#self.rows + 1] = { indent .. escape(key) .. ":" }
    return
  end
  local text = value_text(value)
  local lines = split_lines(text)
  if #lines == 0 then lines[1] = "" end
  self.rows[#self.rows + 1] = { indent .. escape(key) .. ":", escape(lines[1]) }
  for i = 2, #lines do self.rows[#self.rows + 1] = { "", escape(lines[i]) } end
end

-- w:row(level, cell, cell, ...): a table row.
function Writer:row(level, ...)
  local cells = { ... }
  for i, x in ipairs(cells) do cells[i] = escape(value_text(x)) end
  cells[1] = rep("  ", level) .. cells[1]
  self.rows[#self.rows + 1] = cells
end

function Writer:text(level, s)
  self.rows[#self.rows + 1] = { rep("  ", level) .. escape(s) }
end

-- Several values under one key: the first beside it, the rest aligned below.
function Writer:multi(level, key, values)
  if #values == 0 then return self:add(level, key, "<none>") end
  self:add(level, key, values[1])
  for i = 2, #values do self.rows[#self.rows + 1] = { "", escape(value_text(values[i])) } end
end

-- A timestamp, with its age when the time is known.
function Writer:time(v)
  if not str(v) then return "<unknown>" end
  if not self.now or not M.parse_time(v) then return v end
  return v .. " (" .. M.since(v, self.now) .. " ago)"
end

function Writer:result()
  return M.columns(self.rows, { gap = 2, min_width = 0 })
end

local function map_lines(m, sep)
  local out = {}
  for _, k in ipairs(sorted_keys(tbl(m))) do out[#out + 1] = tostring(k) .. sep .. value_text(m[k]) end
  return out
end

local MAX_ANNOTATION = 512

local function annotation_lines(a)
  local out = {}
  for _, k in ipairs(sorted_keys(tbl(a))) do
    if k ~= LAST_APPLIED then
      local v = value_text(a[k]):gsub("\n", "\\n")
      if #v > MAX_ANNOTATION then
        v = utf8_prefix(v, MAX_ANNOTATION) .. format("... (%d bytes)", #v)
      end
      out[#out + 1] = k .. ": " .. v
    end
  end
  return out
end

local function describe_header(w, obj, opts)
  local md = tbl(obj.metadata)
  w:add(0, "Name", str(md.name) or "")
  if str(md.namespace) then w:add(0, "Namespace", md.namespace) end
  if opts.kind_line then
    w:add(0, "Kind", str(obj.kind) or "")
    if str(obj.apiVersion) then w:add(0, "API Version", obj.apiVersion) end
  end
  if opts.roles then w:add(0, "Roles", node_roles(md.labels)) end
  if opts.created ~= false then w:add(0, "CreationTimestamp", w:time(md.creationTimestamp)) end
  w:multi(0, "Labels", map_lines(md.labels, "="))
  w:multi(0, "Annotations", annotation_lines(md.annotations))
  if str(md.deletionTimestamp) then w:add(0, "Terminating Since", w:time(md.deletionTimestamp)) end
end

local function controller_of(md)
  for _, ref in ipairs(list(tbl(md).ownerReferences)) do
    if tbl(ref).controller == true then return (str(ref.kind) or "") .. "/" .. (str(ref.name) or "") end
  end
  return nil
end

local function probe_text(p)
  p = tbl(p)
  local what
  if is_table(p.httpGet) then
    local h = p.httpGet
    what = format("http-get %s://%s:%s%s", lower(str(h.scheme) or "http"), str(h.host) or "",
                  value_text(h.port), str(h.path) or "")
  elseif is_table(p.tcpSocket) then
    what = format("tcp-socket %s:%s", str(p.tcpSocket.host) or "", value_text(p.tcpSocket.port))
  elseif is_table(p.exec) then
    local cmd = {}
    for _, x in ipairs(list(p.exec.command)) do cmd[#cmd + 1] = value_text(x) end
    what = "exec [" .. concat(cmd, " ") .. "]"
  elseif is_table(p.grpc) then
    what = "grpc <pod>:" .. value_text(p.grpc.port) .. " " .. (str(p.grpc.service) or "")
  else
    what = "unknown"
  end
  return format("%s delay=%ss timeout=%ss period=%ss #success=%s #failure=%s", what,
                num(tonumber(p.initialDelaySeconds) or 0), num(tonumber(p.timeoutSeconds) or 1),
                num(tonumber(p.periodSeconds) or 10), num(tonumber(p.successThreshold) or 1),
                num(tonumber(p.failureThreshold) or 3))
end

local function env_value(e)
  if e.value ~= nil then return value_text(e.value) end
  local vf = tbl(e.valueFrom)
  if is_table(vf.secretKeyRef) then
    return format("<set to the key '%s' in secret '%s'>", value_text(vf.secretKeyRef.key),
                  value_text(vf.secretKeyRef.name))
  elseif is_table(vf.configMapKeyRef) then
    return format("<set to the key '%s' of config map '%s'>", value_text(vf.configMapKeyRef.key),
                  value_text(vf.configMapKeyRef.name))
  elseif is_table(vf.fieldRef) then
    return format("(%s:%s)", str(vf.fieldRef.apiVersion) or "v1", value_text(vf.fieldRef.fieldPath))
  elseif is_table(vf.resourceFieldRef) then
    return format("%s (limits/requests)", value_text(vf.resourceFieldRef.resource))
  end
  return ""
end

local function container_state(w, level, label, state)
  state = tbl(state)
  if is_table(state.running) then
    w:add(level, label, "Running")
    w:add(level + 1, "Started", w:time(state.running.startedAt))
  elseif is_table(state.waiting) then
    w:add(level, label, "Waiting")
    w:add(level + 1, "Reason", str(state.waiting.reason) or "")
    if str(state.waiting.message) then w:add(level + 1, "Message", state.waiting.message) end
  elseif is_table(state.terminated) then
    local t = state.terminated
    w:add(level, label, "Terminated")
    w:add(level + 1, "Reason", str(t.reason) or "")
    if str(t.message) then w:add(level + 1, "Message", t.message) end
    w:add(level + 1, "Exit Code", value_text(t.exitCode or 0))
    if tonumber(t.signal) and t.signal ~= 0 then w:add(level + 1, "Signal", value_text(t.signal)) end
    w:add(level + 1, "Started", w:time(t.startedAt))
    w:add(level + 1, "Finished", w:time(t.finishedAt))
  else
    w:add(level, label, "Waiting")
  end
end

-- One container of a pod or pod template; status from containerStatuses when given.
local function describe_container(w, level, ctr, status)
  ctr = tbl(ctr)
  w:add(level, str(ctr.name) or "")
  local l = level + 1
  w:add(l, "Image", str(ctr.image) or "")
  local ports = {}
  for _, p in ipairs(list(ctr.ports)) do
    ports[#ports + 1] = format("%s/%s", value_text(tbl(p).containerPort), str(p.protocol) or "TCP")
  end
  w:add(l, #ports > 1 and "Ports" or "Port", #ports > 0 and concat(ports, ", ") or "<none>")
  for _, f in ipairs({ { "command", "Command" }, { "args", "Args" } }) do
    local items = list(ctr[f[1]])
    if #items > 0 then
      w:add(l, f[2])
      for _, x in ipairs(items) do w:text(l + 1, value_text(x)) end
    end
  end
  if status then
    container_state(w, l, "State", status.state)
    if is_table(status.lastState) and next(status.lastState) ~= nil then
      container_state(w, l, "Last State", status.lastState)
    end
    w:add(l, "Ready", status.ready == true and "True" or "False")
    w:add(l, "Restart Count", value_text(status.restartCount or 0))
  end
  local res = tbl(ctr.resources)
  for _, f in ipairs({ { "limits", "Limits" }, { "requests", "Requests" } }) do
    local m = tbl(res[f[1]])
    if next(m) ~= nil then
      w:add(l, f[2])
      for _, k in ipairs(sorted_keys(m)) do w:add(l + 1, k, value_text(m[k])) end
    end
  end
  for _, f in ipairs({ { "livenessProbe", "Liveness" }, { "readinessProbe", "Readiness" },
                       { "startupProbe", "Startup" } }) do
    if is_table(ctr[f[1]]) then w:add(l, f[2], probe_text(ctr[f[1]])) end
  end
  local from = list(ctr.envFrom)
  if #from > 0 then
    w:add(l, "Environment Variables from")
    for _, e in ipairs(from) do
      e = tbl(e)
      local src, kind = tbl(e.configMapRef), "ConfigMap"
      if is_table(e.secretRef) then src, kind = e.secretRef, "Secret" end
      w:row(l + 1, (str(e.prefix) or "") .. (str(src.name) or ""), kind,
            "Optional: " .. tostring(src.optional == true))
    end
  end
  local env = list(ctr.env)
  if #env == 0 then
    w:add(l, "Environment", "<none>")
  else
    w:add(l, "Environment")
    for _, e in ipairs(env) do w:add(l + 1, str(tbl(e).name) or "", env_value(tbl(e))) end
  end
  local mounts = list(ctr.volumeMounts)
  if #mounts > 0 then
    w:add(l, "Mounts")
    for _, m in ipairs(mounts) do
      m = tbl(m)
      local s = format("%s from %s (%s)", str(m.mountPath) or "", str(m.name) or "",
                       m.readOnly == true and "ro" or "rw")
      if str(m.subPath) and m.subPath ~= "" then s = s .. ", path = " .. format("%q", m.subPath) end
      w:text(l + 1, s)
    end
  else
    w:add(l, "Mounts", "<none>")
  end
end

local function describe_containers(w, level, title, ctrs, statuses)
  ctrs = list(ctrs)
  if #ctrs == 0 then return end
  local by_name = {}
  for _, s in ipairs(list(statuses)) do if str(tbl(s).name) then by_name[s.name] = s end end
  w:add(level, title)
  for _, ctr in ipairs(ctrs) do
    describe_container(w, level + 1, ctr, statuses and (by_name[tbl(ctr).name] or {}) or nil)
  end
end

local VOLUME_FIELDS = {
  { "configMap", "ConfigMap", "name", "Name" },
  { "secret", "Secret", "secretName", "SecretName" },
  { "persistentVolumeClaim", "PersistentVolumeClaim", "claimName", "ClaimName" },
  { "emptyDir", "EmptyDir", "medium", "Medium" },
  { "hostPath", "HostPath", "path", "Path" },
  { "projected", "Projected" },
  { "downwardAPI", "DownwardAPI" },
  { "csi", "CSI", "driver", "Driver" },
  { "nfs", "NFS", "server", "Server" },
  { "ephemeral", "Ephemeral" },
}

local function describe_volumes(w, level, volumes)
  volumes = list(volumes)
  if #volumes == 0 then return w:add(level, "Volumes", "<none>") end
  w:add(level, "Volumes")
  for _, v in ipairs(volumes) do
    v = tbl(v)
    w:add(level + 1, str(v.name) or "")
    local found = false
    for _, f in ipairs(VOLUME_FIELDS) do
      if is_table(v[f[1]]) then
        found = true
        w:add(level + 2, "Type", f[2])
        if f[3] and v[f[1]][f[3]] ~= nil then w:add(level + 2, f[4], value_text(v[f[1]][f[3]])) end
        break
      end
    end
    if not found then
      for k, x in pairs(v) do
        if k ~= "name" and is_table(x) then w:add(level + 2, "Type", k); break end
      end
    end
  end
end

-- Conditions as a small table; Reason and Message columns only when some condition has one.
local function describe_conditions(w, level, conds)
  conds = list(conds)
  if #conds == 0 then return end
  local has_reason, has_message = false, false
  for _, x in ipairs(conds) do
    if str(tbl(x).reason) and x.reason ~= "" then has_reason = true end
    if str(tbl(x).message) and x.message ~= "" then has_message = true end
  end
  w:add(level, "Conditions")
  local head, dash = { "Type", "Status" }, { "----", "------" }
  if has_reason then head[#head + 1] = "Reason"; dash[#dash + 1] = "------" end
  if has_message then head[#head + 1] = "Message"; dash[#dash + 1] = "-------" end
  w:row(level + 1, table.unpack(head))
  w:row(level + 1, table.unpack(dash))
  for _, x in ipairs(conds) do
    x = tbl(x)
    local r = { str(x.type) or "", str(x.status) or "" }
    if has_reason then r[#r + 1] = str(x.reason) or "" end
    if has_message then r[#r + 1] = one_line(x.message) end
    w:row(level + 1, table.unpack(r))
  end
end

local function toleration_text(t)
  t = tbl(t)
  local s = str(t.key) or ""
  if str(t.value) and t.value ~= "" then s = s .. "=" .. t.value end
  if str(t.effect) and t.effect ~= "" then s = s .. ":" .. t.effect end
  if t.operator == "Exists" and not str(t.value) then s = s .. " op=Exists" end
  if type(t.tolerationSeconds) == "number" then s = s .. " for " .. num(t.tolerationSeconds) .. "s" end
  return s
end

local function describe_pod(w, p)
  local spec, st, md = tbl(p.spec), tbl(p.status), tbl(p.metadata)
  w:add(0, "Service Account", str(spec.serviceAccountName) or "")
  local node = str(spec.nodeName) or "<none>"
  if str(spec.nodeName) and str(st.hostIP) then node = node .. "/" .. st.hostIP end
  w:add(0, "Node", node)
  if str(st.startTime) then w:add(0, "Start Time", w:time(st.startTime)) end
  local phase = str(st.phase) or ""
  if str(md.deletionTimestamp) then phase = "Terminating" end
  w:add(0, "Status", phase)
  if str(st.reason) then w:add(0, "Reason", st.reason) end
  if str(st.message) then w:add(0, "Message", st.message) end
  w:add(0, "IP", str(st.podIP) or "")
  local ctl = controller_of(md)
  w:add(0, "Controlled By", ctl or "<none>")
  describe_containers(w, 0, "Init Containers", spec.initContainers, list(st.initContainerStatuses))
  describe_containers(w, 0, "Containers", spec.containers, list(st.containerStatuses))
  describe_containers(w, 0, "Ephemeral Containers", spec.ephemeralContainers,
                      list(st.ephemeralContainerStatuses))
  describe_conditions(w, 0, st.conditions)
  describe_volumes(w, 0, spec.volumes)
  if str(st.qosClass) then w:add(0, "QoS Class", st.qosClass) end
  w:multi(0, "Node-Selectors", map_lines(spec.nodeSelector, "="))
  local tols = {}
  for _, t in ipairs(list(spec.tolerations)) do tols[#tols + 1] = toleration_text(t) end
  w:multi(0, "Tolerations", tols)
end

local function describe_pod_template(w, level, tmpl)
  tmpl = tbl(tmpl)
  w:add(level, "Pod Template")
  w:multi(level + 1, "Labels", map_lines(tbl(tmpl.metadata).labels, "="))
  local annos = annotation_lines(tbl(tmpl.metadata).annotations)
  if #annos > 0 then w:multi(level + 1, "Annotations", annos) end
  local spec = tbl(tmpl.spec)
  if str(spec.serviceAccountName) then w:add(level + 1, "Service Account", spec.serviceAccountName) end
  describe_containers(w, level + 1, "Init Containers", spec.initContainers, nil)
  describe_containers(w, level + 1, "Containers", spec.containers, nil)
  describe_volumes(w, level + 1, spec.volumes)
  if is_table(spec.nodeSelector) and next(spec.nodeSelector) ~= nil then
    w:multi(level + 1, "Node-Selectors", map_lines(spec.nodeSelector, "="))
  end
end

local function describe_deployment(w, d)
  local spec, st = tbl(d.spec), tbl(d.status)
  w:add(0, "Selector", selector_text(spec.selector))
  w:add(0, "Replicas", format("%s desired | %s updated | %s total | %s available | %s unavailable",
    count_str(spec.replicas, "1"), count_str(st.updatedReplicas), count_str(st.replicas),
    count_str(st.availableReplicas), count_str(st.unavailableReplicas)))
  local strategy = tbl(spec.strategy)
  w:add(0, "StrategyType", str(strategy.type) or "RollingUpdate")
  w:add(0, "MinReadySeconds", count_str(spec.minReadySeconds))
  if is_table(strategy.rollingUpdate) then
    w:add(0, "RollingUpdateStrategy", format("%s max unavailable, %s max surge",
      value_text(strategy.rollingUpdate.maxUnavailable or "25%"),
      value_text(strategy.rollingUpdate.maxSurge or "25%")))
  end
  describe_pod_template(w, 0, spec.template)
  describe_conditions(w, 0, st.conditions)
end

local function describe_node(w, n)
  local spec, st = tbl(n.spec), tbl(n.status)
  local taints = {}
  for _, t in ipairs(list(spec.taints)) do
    t = tbl(t)
    local s = str(t.key) or ""
    if str(t.value) and t.value ~= "" then s = s .. "=" .. t.value end
    taints[#taints + 1] = s .. ":" .. (str(t.effect) or "")
  end
  w:multi(0, "Taints", taints)
  w:add(0, "Unschedulable", tostring(spec.unschedulable == true))
  describe_conditions(w, 0, st.conditions)
  local addrs = list(st.addresses)
  if #addrs > 0 then
    w:add(0, "Addresses")
    for _, a in ipairs(addrs) do w:add(1, str(tbl(a).type) or "", str(a.address) or "") end
  end
  for _, f in ipairs({ { "capacity", "Capacity" }, { "allocatable", "Allocatable" } }) do
    local m = tbl(st[f[1]])
    if next(m) ~= nil then
      w:add(0, f[2])
      for _, k in ipairs(sorted_keys(m)) do w:add(1, k, value_text(m[k])) end
    end
  end
  local info = tbl(st.nodeInfo)
  if next(info) ~= nil then
    w:add(0, "System Info")
    for _, f in ipairs({ { "osImage", "OS Image" }, { "operatingSystem", "Operating System" },
                         { "architecture", "Architecture" }, { "kernelVersion", "Kernel Version" },
                         { "containerRuntimeVersion", "Container Runtime Version" },
                         { "kubeletVersion", "Kubelet Version" } }) do
      if info[f[1]] ~= nil then w:add(1, f[2], value_text(info[f[1]])) end
    end
  end
  if str(spec.podCIDR) then w:add(0, "PodCIDR", spec.podCIDR) end
  if str(spec.providerID) then w:add(0, "ProviderID", spec.providerID) end
end

-- Addresses serving a service port: from an Endpoints object or an array (or List) of
-- EndpointSlices.
local function endpoints_for(eps, port_name)
  if not is_table(eps) then return nil end
  local out = {}
  local function add_addr(ip, port) out[#out + 1] = port and (ip .. ":" .. value_text(port)) or ip end
  if is_table(eps.subsets) or eps.kind == "Endpoints" then
    for _, ss in ipairs(list(eps.subsets)) do
      for _, p in ipairs(list(tbl(ss).ports)) do
        if (str(tbl(p).name) or "") == (port_name or "") then
          for _, a in ipairs(list(ss.addresses)) do add_addr(str(tbl(a).ip) or "", p.port) end
        end
      end
    end
    return out
  end
  local slices = is_list(eps) and eps or list(eps.items)
  if is_table(eps.endpoints) then slices = { eps } end
  for _, sl in ipairs(slices) do
    for _, p in ipairs(list(tbl(sl).ports)) do
      if (str(tbl(p).name) or "") == (port_name or "") then
        for _, e in ipairs(list(sl.endpoints)) do
          if tbl(tbl(e).conditions).ready ~= false then
            for _, ip in ipairs(list(e.addresses)) do add_addr(tostring(ip), p.port) end
          end
        end
      end
    end
  end
  return out
end

local function describe_service(w, s, opts)
  local spec, st = tbl(s.spec), tbl(s.status)
  w:add(0, "Selector", map_selector(spec.selector))
  w:add(0, "Type", str(spec.type) or "ClusterIP")
  if str(spec.clusterIP) then w:add(0, "IP", spec.clusterIP) end
  local ext = {}
  for _, ip in ipairs(list(spec.externalIPs)) do ext[#ext + 1] = tostring(ip) end
  if #ext > 0 then w:add(0, "External IPs", concat(ext, ",")) end
  if str(spec.externalName) then w:add(0, "External Name", spec.externalName) end
  local lb = {}
  for _, i in ipairs(list(tbl(st.loadBalancer).ingress)) do lb[#lb + 1] = str(tbl(i).ip) or str(i.hostname) or "" end
  if #lb > 0 then w:add(0, "LoadBalancer Ingress", concat(lb, ", ")) end
  for _, p in ipairs(list(spec.ports)) do
    p = tbl(p)
    local name = str(p.name) and p.name ~= "" and p.name or "<unset>"
    local proto = str(p.protocol) or "TCP"
    w:add(0, "Port", format("%s  %s/%s", name, value_text(p.port), proto))
    if p.targetPort ~= nil then w:add(0, "TargetPort", format("%s/%s", value_text(p.targetPort), proto)) end
    if tonumber(p.nodePort) and p.nodePort ~= 0 then
      w:add(0, "NodePort", format("%s  %s/%s", name, value_text(p.nodePort), proto))
    end
    local eps = endpoints_for(opts.endpoints, p.name)
    if eps then
      local text = "<none>"
      if #eps > 0 then
        text = concat(eps, ",", 1, math.min(#eps, 3))
        if #eps > 3 then text = text .. format(" + %d more...", #eps - 3) end
      end
      w:add(0, "Endpoints", text)
    end
  end
  w:add(0, "Session Affinity", str(spec.sessionAffinity) or "None")
  if str(spec.externalTrafficPolicy) then w:add(0, "External Traffic Policy", spec.externalTrafficPolicy) end
end

-- Secret values are never shown here: a redaction marker as it is, anything else as its
-- decoded size, as kubectl describe does.
local function describe_secret(w, s)
  w:add(0, "Type", str(s.type) or "")
  local data = tbl(s.data)
  w:add(0, "Data", next(data) == nil and "<none>" or nil)
  for _, k in ipairs(sorted_keys(data)) do
    local v = data[k]
    if type(v) == "string" and sub(v, 1, 10) == "<redacted:" then
      w:add(1, k, v)
    elseif type(v) == "string" then
      local pad = v:match("=*$")
      w:add(1, k, format("%d bytes", #v // 4 * 3 - #pad))
    end
  end
end

local TITLE_ORDER = { spec = 1, status = 3 }

local function title(k)
  return (k:gsub("^%l", upper))
end

local function describe_generic(w, obj, opts)
  local keys = {}
  for k in pairs(obj) do
    if k ~= "apiVersion" and k ~= "kind" and k ~= "metadata" and type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    local ra, rb = TITLE_ORDER[a] or 2, TITLE_ORDER[b] or 2
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  for _, k in ipairs(keys) do
    local v = obj[k]
    if is_table(v) and next(v) ~= nil then
      w:add(0, title(k))
      local text = opts.yaml_encode and opts.yaml_encode(v) or M.dump(v)
      for _, l in ipairs(split_lines(text)) do w:text(1, l) end
    else
      w:add(0, title(k), is_table(v) and (is_list(v) and "[]" or "{}") or scalar_text(v))
    end
  end
end

local function event_interval(e, now)
  local first = event_first_seen(e, now)
  if is_table(e.series) then
    return format("%s (x%s over %s)", M.since(e.series.lastObservedTime, now),
                  value_text(e.series.count or 1), first)
  end
  if tonumber(e.count) and e.count > 1 then
    return format("%s (x%s over %s)", M.since(e.lastTimestamp, now), num(e.count), first)
  end
  return first
end

local function describe_events(w, events, now)
  events = is_table(events) and (is_list(events) and events or list(events.items)) or {}
  if #events == 0 then return w:add(0, "Events", "<none>") end
  w:add(0, "Events")
  w:row(1, "Type", "Reason", "Age", "From", "Message")
  w:row(1, "----", "------", "----", "----", "-------")
  for _, e in ipairs(events) do
    e = tbl(e)
    local src = str(tbl(e.source).component) or str(e.reportingController) or str(e.reportingComponent) or ""
    w:row(1, str(e.type) or "", str(e.reason) or "", event_interval(e, now), src, one_line(e.message or e.note))
  end
end

-- `kubectl describe`-like text for obj: Name, Namespace, CreationTimestamp, Labels,
-- Annotations (last-applied left out, long values cut), then per kind: Pod (node, status,
-- IP, controller, containers with state, last state, restarts, resources, probes, env,
-- mounts; conditions, volumes, QoS, tolerations), Deployment (replicas, strategy, pod
-- template, conditions), Node (taints, conditions, addresses, capacity, system info),
-- Service (type, IPs, ports, endpoints from opts.endpoints: an Endpoints object or
-- EndpointSlices), Secret (keys and sizes or markers, never values); any other kind: the
-- remaining top-level fields dumped (opts.yaml_encode(value) -> text, else render.dump).
-- Then Events (an array or List of Event objects, in the order given). Env values and
-- secrets are shown as given: redact obj and events first. opts.now: seconds, for ages.
function M.describe(obj, events, opts)
  if not is_table(obj) then bad_arg(1, "describe", "table", obj) end
  opts = opts or {}
  local now = opts.now or default_now()
  local w = new_writer(now)
  local kind = str(obj.kind) or ""
  if kind == "Pod" then
    describe_header(w, obj, { created = false })
    describe_pod(w, obj)
  elseif kind == "Deployment" then
    describe_header(w, obj, {})
    describe_deployment(w, obj)
  elseif kind == "Node" then
    describe_header(w, obj, { roles = true })
    describe_node(w, obj)
  elseif kind == "Service" then
    describe_header(w, obj, {})
    describe_service(w, obj, opts)
  elseif kind == "Secret" then
    describe_header(w, obj, {})
    describe_secret(w, obj)
  else
    describe_header(w, obj, { kind_line = true })
    describe_generic(w, obj, opts)
  end
  describe_events(w, events, now)
  return w:result()
end

return M
