-- tools/k8s_logs.lua: container logs of a pod (or of the first pod of a workload), filtered
-- with `grep` in the tool and cut to the output budget at a whole line, newest lines kept.
local kt = require("k8s_tool")
local regex = require("regex")
local redact = require("redact")

local DEFAULT_TAIL = 200
local MAX_FETCH = 8 << 20 -- bytes read from the API server at most (limitBytes)
local GREP_SCAN = 20000   -- grep searches this many newest lines

-- "30s", "5m", "2h", "1d" or plain seconds.
local function seconds(s)
  if s == nil then return nil end
  if type(s) == "number" then return math.floor(s) end
  local n, unit = s:match("^(%d+)([smhd]?)$")
  if not n then kt.k8s.raise("Invalid", ("since %q: use seconds or a duration like 30s, 5m, 2h, 1d"):format(s)) end
  return math.floor(tonumber(n) * ({ s = 1, m = 60, h = 3600, d = 86400, [""] = 1 })[unit])
end

-- Workloads: the first pod (by name) their selector matches.
local function pod_of(c, kind, name, ns)
  local r = c:resource(kind)
  local obj = c:get(r, name, { namespace = ns })
  local sel = obj.spec and obj.spec.selector
  local labels = sel and (sel.matchLabels or (sel.matchExpressions == nil and sel)) or nil
  if type(labels) ~= "table" or next(labels) == nil then
    kt.k8s.raise("Invalid", ("%s/%s has no label selector to find its pods"):format(kind, name))
  end
  local parts = {}
  for k, v in pairs(labels) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  local pods = c:list(c:resource("pods"), { namespace = ns, label_selector = table.concat(parts, ",") }).items or {}
  if #pods == 0 then kt.k8s.raise("NotFound", ("%s/%s has no pods"):format(kind, name), 404) end
  table.sort(pods, function(a, b) return a.metadata.name < b.metadata.name end)
  return pods[1].metadata.name
end

local function matcher(pattern)
  if not pattern or pattern == "" then return nil end
  if not pattern:find("[%^%$%.%[%]%(%)%*%+%?{}|\\]") then
    return function(line) return line:find(pattern, 1, true) ~= nil end
  end
  local re, err = regex.compile(pattern)
  if not re then kt.k8s.raise("Invalid", "grep: " .. err) end
  return function(line)
    if not utf8.len(line) then return line:find(pattern, 1, true) ~= nil end
    return regex.test(re, line)
  end
end

return {
  name = "k8s_logs",
  title = "Pod logs",
  description = "Logs of a container: tail, since, previous (the crashed instance), timestamps, and grep (a substring or regular expression, applied in the tool). The newest lines are kept within the output budget; the result says how many lines were left out. `name` may be a pod, or kind/name of a workload (deploy/web) to read its first pod.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "name", "namespace", required = { "name" }, extra = {
    container = { type = "string", minLength = 1, description = "Container name (default: the only container, or the one the pod's default-container annotation names)" },
    tail = { type = "integer", minimum = 1, maximum = 100000, description = "Last N lines (default 200; with grep, the last N matching lines)" },
    since = { type = { "string", "integer" }, description = "Only lines newer than this: seconds or a duration like 30s, 5m, 2h, 1d" },
    previous = { type = "boolean", default = false, description = "Logs of the previous, terminated instance (after a crash or OOM kill)" },
    timestamps = { type = "boolean", default = false, description = "Prefix every line with its RFC 3339 timestamp" },
    grep = { type = "string", minLength = 1, maxLength = 1000, description = "Keep only lines containing this text, searching the newest 20,000 lines; a regular expression when it has special characters (e.g. error|fatal)" },
    limit_bytes = { type = "integer", minimum = 1024, maximum = MAX_FETCH, description = "Read at most this many bytes of log from the API server (default: 8 MiB with grep, else enough for the tail)" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local ns = args.namespace or c.namespace
    local pod = args.name
    local kind, wname = pod:match("^([^/]+)/(.+)$")
    if kind then
      if kind == "pod" or kind == "pods" or kind == "po" then pod = wname else pod = pod_of(c, kind, wname, ns) end
    end
    local grep = matcher(args.grep)
    local tail = args.tail or DEFAULT_TAIL
    local text = c:logs(pod, {
      namespace = ns, container = args.container, previous = args.previous, timestamps = args.timestamps,
      since = seconds(args.since), tail = grep and GREP_SCAN or tail,
      limit_bytes = args.limit_bytes or (grep and MAX_FETCH or math.min(MAX_FETCH, tail * 2048)),
    })
    local lines = {}
    for line in text:gmatch("([^\n]*)\n?") do
      if line ~= "" or #lines > 0 then lines[#lines + 1] = line end
    end
    if lines[#lines] == "" then lines[#lines] = nil end
    local total = #lines
    if grep then
      local kept = {}
      for _, l in ipairs(lines) do
        if grep(l) then kept[#kept + 1] = l end
      end
      lines = kept
    end
    local matched = #lines
    -- Newest first into the budget, then back in order.
    local budget, used, first = kt.budget() - 200, 0, #lines + 1
    local start = math.max(1, #lines - tail + 1)
    for i = #lines, start, -1 do
      local n = #lines[i] + 1
      if used + n > budget then break end
      used = used + n
      first = i
    end
    local shown = table.move(lines, first, #lines, 1, {})
    local body = table.concat(shown, "\n")
    local redacted = 0
    if not settings.show_secrets then body, redacted = redact.text(body) end
    local notes = {}
    local omitted = #lines - #shown
    if omitted > 0 then
      notes[#notes + 1] = ("(%d earlier %s not shown%s; narrow with since, tail or grep)"):format(omitted,
        grep and "matching lines" or "lines", first > start and " to stay within the output budget" or "")
    end
    if grep and matched == 0 then notes[#notes + 1] = ("(no line of %d matched %q)"):format(total, args.grep) end
    notes[#notes + 1] = kt.redaction_note(redacted)
    return kt.result(body, {
      pod = pod, namespace = ns, container = args.container, lines = #shown, omitted = omitted,
      matched = grep and matched or nil, truncated = omitted > 0,
    }, table.concat(notes, "\n"))
  end,
}
