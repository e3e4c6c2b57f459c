-- kubectl_read.lua: the read verbs of ack_kubectl besides get (owner: the kubectl task):
-- describe (lua/describe.lua), logs (workload -> pod as kubectl picks it, newest lines within
-- the budget), events, top, api-resources, api-versions, version, cluster-info, explain (from
-- OpenAPI v3) and auth can-i/whoami, each printing what kubectl prints.

local k8s = require("k8s")
local render = require("render")
local describe = require("describe")
local printers = require("printers")
local labels_text = require("text").labels
local jsonpath = require("jsonpath")
local R = require("kubectl_run")
local Run = R.Run
local null, tbl, str, is_null, sorted_keys, show_secrets = R.null, R.tbl, R.str, R.is_null, R.sorted_keys, R.show_secrets
local kind_group, ref, quoted, resource_group, dry_suffix = R.kind_group, R.ref, R.quoted, R.resource_group, R.dry_suffix
local has_verb, list_opts, continue_of = R.has_verb, R.list_opts, R.continue_of

local DESCRIBE_PAGE = 50           -- objects read per page when describing a whole type
local LOG_FETCH_BYTES = 8 << 20    -- log bytes read from the API server at most
local LOG_TAIL_DEFAULT = 2000      -- lines read when no --tail/--since bounds a log

---------------------------------------------------------------------------------------------
-- describe

function Run:describe_one(r, obj)
  local md = tbl(obj.metadata)
  local events = {}
  if self.op.show_events then
    local ok, evs = pcall(self.c.events, self.c, {
      namespace = r.namespaced and (md.namespace or self:namespace()) or nil,
      all_namespaces = not r.namespaced, kind = r.kind, name = md.name, uid = md.uid,
    })
    if ok then
      for i, e in ipairs(evs) do events[i] = self:shape(e, "Event") end
    end
  end
  local opts = { now = time.now(), yaml_encode = yaml.encode, kind = r.kind }
  if r.kind == "Service" and r.group == "" then
    local ok, eps = pcall(self.c.get, self.c, self.c:resource("endpoints"), md.name, { namespace = md.namespace })
    if ok then opts.endpoints = eps end
  end
  obj.kind = obj.kind or r.kind
  obj.apiVersion = obj.apiVersion or r.api_version
  return describe.describe(self:shape(obj, r.kind), events, opts)
end

function Run:describe()
  local texts = {}
  local groups = self:groups()
  local found = 0
  for _, g in ipairs(groups) do
    for _, r in ipairs(g.rs) do
      local ns = g.ns or self:namespace()
      if #g.names == 0 then
        -- page by page, and stop once the output budget is full: describing costs an
        -- events request per object
        local token, bytes, stopped = nil, 0, false
        repeat
          local list = self:try(self.c.list, self.c, r, list_opts(self, r, { limit = DESCRIBE_PAGE, ["continue"] = token }))
          if not list then break end
          local items = list.items or {}
          for i, obj in ipairs(items) do
            if bytes > self.budget then
              local _, remaining = continue_of(list)
              self:warn(("Note: %d more %s not described (output limit %d bytes); name one, or narrow with -l"):format(
                #items - i + 1 + (remaining or 0), r.resource, self.budget))
              self.truncated, stopped = true, true
              break
            end
            local text = self:describe_one(r, obj)
            texts[#texts + 1] = text
            bytes = bytes + #text + 2
            found = found + 1
          end
          token = continue_of(list)
        until stopped or not token
      else
        for _, name in ipairs(g.names) do
          local ok, obj = pcall(self.c.get, self.c, r, name, { namespace = ns })
          if ok then
            texts[#texts + 1] = self:describe_one(r, obj)
            found = found + 1
          elseif type(obj) == "table" and obj.code == "NotFound" then
            -- kubectl describe TYPE NAME_PREFIX: every object whose name starts with it
            local list = self:try(self.c.list, self.c, r, list_opts(self, r, { namespace = ns }))
            local matched = 0
            for _, o in ipairs(list and list.items or {}) do
              local n = tbl(o.metadata).name or ""
              if n:sub(1, #name) == name then
                texts[#texts + 1] = self:describe_one(r, o)
                matched = matched + 1
              end
            end
            found = found + matched
            if list and matched == 0 then self:fail(obj) end
          else
            self:fail(obj)
          end
        end
      end
    end
  end
  if found == 0 and self.exit == 0 then self:none_found(true) end
  self:text(table.concat(texts, "\n\n"))
end

---------------------------------------------------------------------------------------------
-- logs

-- A workload's LabelSelector, or a Service's selector map, as the selector of a list
-- call (kubectl's own text of it); nil when it selects by nothing.
local function selector_string(sel)
  if type(sel) ~= "table" or is_null(sel) then return nil end
  local text
  if sel.matchLabels == nil and sel.matchExpressions == nil then text = labels_text(sel) -- a Service's map
  else text = printers.selector(sel) end
  if text == "<none>" then return nil end
  return text
end

local function pod_ready(p)
  for _, c in ipairs(tbl(p.status).conditions or {}) do
    if c.type == "Ready" then return c.status == "True", c.lastTransitionTime end
  end
  return false
end

local function max_restarts(p)
  local m = 0
  for _, cs in ipairs(tbl(p.status).containerStatuses or {}) do
    if (cs.restartCount or 0) > m then m = cs.restartCount end
  end
  return m
end

-- kubectl's podutils.ByLogging: the pod `logs deploy/x` reads.
local PHASE_RANK = { Running = 0, Unknown = 1, Pending = 2 }
local function by_logging(a, b)
  local na, nb = str(tbl(a.spec).nodeName) or "", str(tbl(b.spec).nodeName) or ""
  if na ~= nb and (na == "" or nb == "") then return na ~= "" end
  local pa, pb = PHASE_RANK[tbl(a.status).phase] or 3, PHASE_RANK[tbl(b.status).phase] or 3
  if pa ~= pb then return pa < pb end
  local ra, ta = pod_ready(a)
  local rb, tb = pod_ready(b)
  if ra ~= rb then return ra end
  if ra and rb and ta ~= tb then
    if not ta then return false end
    if not tb then return true end
    return ta < tb
  end
  local ma, mb = max_restarts(a), max_restarts(b)
  if ma ~= mb then return ma > mb end
  local ca, cb = tbl(a.metadata).creationTimestamp or "", tbl(b.metadata).creationTimestamp or ""
  if ca ~= cb then return ca < cb end
  return (tbl(a.metadata).name or "") < (tbl(b.metadata).name or "")
end

-- The pods a logs/attach reference means: pods/x itself, else the pods its selector picks.
function Run:pods_for(rf)
  local c = self.c
  local r = c:resource(rf.type)
  local ns = self:namespace()
  if r.kind == "Pod" and r.group == "" then
    return { c:get(r, rf.name, { namespace = ns }) }, nil
  end
  local obj = c:get(r, rf.name, { namespace = ns })
  local spec = tbl(obj.spec)
  local sel = r.kind == "Service" and spec.selector or spec.selector
  local text = selector_string(sel)
  if not text then
    error({ code = "BadRequest", message = ("cannot get the logs of %s: it has no pod selector"):format(ref(r, rf.name)) }, 0)
  end
  local pods = c:list(c:resource("pods"), { namespace = ns, label_selector = text }).items or {}
  if #pods == 0 then
    error({ code = "NotFound", message = ("no pods found for %s (selector %s)"):format(ref(r, rf.name), text) }, 0)
  end
  table.sort(pods, by_logging)
  return { pods[1] }, #pods
end

-- The containers logs reads in a pod, and kubectl's "Defaulted container" note.
function Run:containers_for(pod)
  local op = self.op
  local spec = tbl(pod.spec)
  local names, inits = {}, {}
  for _, c in ipairs(spec.containers or {}) do names[#names + 1] = c.name end
  for _, c in ipairs(spec.initContainers or {}) do inits[#inits + 1] = c.name end
  if op.container then return { op.container } end
  if op.all_containers then
    local all = {}
    for _, n in ipairs(inits) do all[#all + 1] = n end
    for _, n in ipairs(names) do all[#all + 1] = n end
    return all
  end
  local anno = tbl(tbl(pod.metadata).annotations)["kubectl.kubernetes.io/default-container"]
  local chosen = str(anno) or names[1]
  if #names + #inits > 1 and not str(anno) then
    local list = {}
    for _, n in ipairs(names) do list[#list + 1] = n end
    for _, n in ipairs(inits) do list[#list + 1] = n .. " (init)" end
    self:warn(('Defaulted container "%s" out of: %s'):format(chosen, table.concat(list, ", ")))
  end
  return { chosen }
end

function Run:logs()
  local op = self.op
  local c = self.c
  local pods, count
  if op.selector then
    pods = c:list(c:resource("pods"), { namespace = self:namespace(), all_namespaces = op.all_namespaces,
      label_selector = op.selector }).items or {}
    if #pods == 0 then
      self:warn(("No resources found in %s namespace."):format(self:namespace()))
      return
    end
    if op.follow and #pods > op.max_log_requests then
      return self:fail(("you are attempting to follow %d log streams, but maximum allowed concurrency is %d, use "
        .. "--max-log-requests to increase the limit"):format(#pods, op.max_log_requests))
    end
  else
    pods, count = self:pods_for(op.ref)
    if count and count > 1 then
      self:warn(("Found %d pods, using pod/%s"):format(count, pods[1].metadata.name))
    end
  end
  local tail = op.tail
  local bounded = tail or op.since or op.since_time or op.limit_bytes
  if not bounded then tail = LOG_TAIL_DEFAULT end
  local lines = {}
  for _, pod in ipairs(pods) do
    local md = pod.metadata
    for _, container in ipairs(self:containers_for(pod)) do
      local ok, text = pcall(c.logs, c, md.name, {
        namespace = md.namespace, container = container, tail = tail, since = op.since,
        since_time = op.since_time, previous = op.previous, timestamps = op.timestamps,
        limit_bytes = math.min(op.limit_bytes or LOG_FETCH_BYTES, LOG_FETCH_BYTES),
      })
      if ok then
        local prefix = (op.prefix or (op.selector and op.prefix)) and ("[pod/%s/%s] "):format(md.name, container) or ""
        for l in text:gmatch("([^\n]*)\n?") do
          if l ~= "" then lines[#lines + 1] = prefix .. l end
        end
        if text:sub(-1) ~= "\n" and #text > 0 and #lines > 0 and op.limit_bytes then
          self.no_newline = true
        end
      elseif not op.ignore_errors then
        self:fail(text)
      end
    end
  end
  -- Newest lines within the budget, as k8s_logs keeps them.
  local text = self:redact_text(table.concat(lines, "\n"))
  local all = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do all[#all + 1] = l end
  if #lines == 0 then all = {} end
  local budget, used, first = self.budget - 300, 0, #all + 1
  for i = #all, 1, -1 do
    local n = #all[i] + 1
    if used + n > budget then break end
    used, first = used + n, i
  end
  if first > 1 then
    self:warn(("Note: %d earlier log line%s not shown (output limit %d bytes); use --tail or --since to choose the lines"):format(
      first - 1, first == 2 and "" or "s", self.budget))
    self.truncated = true
  elseif not bounded and #lines >= LOG_TAIL_DEFAULT then
    self:warn(("Note: the newest %d lines; use --tail or --since to read further back"):format(LOG_TAIL_DEFAULT))
    self.truncated = true
  end
  if first <= #all then self:text(table.concat(all, "\n", first)) end
  if op.follow then
    self:warn("Note: -f does not stream here; this is the log up to now (call again for newer lines)")
  end
  self.cut_done = true
end

---------------------------------------------------------------------------------------------
-- events

-- kubectl events' order: series, then lastTimestamp, then eventTime.
local function event_sort_time(e)
  if type(e.series) == "table" and str(e.series.lastObservedTime) then return e.series.lastObservedTime end
  if str(e.lastTimestamp) then return e.lastTimestamp end
  if str(e.eventTime) then return e.eventTime end
  return str(e.firstTimestamp) or ""
end

function Run:events()
  local op = self.op
  local c = self.c
  local q = { namespace = self:namespace(), all_namespaces = op.all_namespaces }
  if op.for_ref then
    local r = c:resource(op.for_ref.type)
    q.kind, q.name = r.kind, op.for_ref.name
  end
  local items = c:events(q)
  if op.types then
    local keep = {}
    for _, t in ipairs(op.types) do keep[t] = true end
    local f = {}
    for _, e in ipairs(items) do
      if keep[e.type] then f[#f + 1] = e end
    end
    items = f
  end
  local order = {}
  for i, e in ipairs(items) do order[e] = i end
  table.sort(items, function(a, b)
    local ta, tb = event_sort_time(a), event_sort_time(b)
    if ta ~= tb then return ta < tb end
    return order[a] < order[b]
  end)
  local shaped = {}
  for i, e in ipairs(items) do
    e.kind, e.apiVersion = e.kind or "Event", e.apiVersion or "v1"
    shaped[i] = self:shape(e, "Event")
  end
  if #shaped == 0 then
    if op.all_namespaces then self:warn("No events found.") else
      self:warn(("No events found in %s namespace."):format(self:namespace()))
    end
  elseif op.output then
    local refs = {}
    for i, e in ipairs(shaped) do refs[i] = "event/" .. (tbl(e.metadata).name or "") end
    self:print_objects(shaped, refs, false)
  else
    local rows = {}
    if not op.no_headers then
      rows[1] = { "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE" }
      if op.all_namespaces then table.insert(rows[1], 1, "NAMESPACE") end
    end
    local now = time.now()
    for _, e in ipairs(shaped) do
      local io = tbl(e.involvedObject or e.regarding)
      local row = { printers.event_age(e, now), str(e.type) or "", str(e.reason) or "",
        (str(io.kind) or "") .. "/" .. (str(io.name) or ""), ((str(e.message) or str(e.note) or ""):gsub("^%s+", ""):gsub("%s+$", "")) }
      if op.all_namespaces then table.insert(row, 1, tbl(e.metadata).namespace or "") end
      rows[#rows + 1] = row
    end
    self:print_rows(rows)
  end
  if op.watch then
    self:warn("Note: -w does not stream here; these are the events up to now (call again for newer ones)")
  end
end

---------------------------------------------------------------------------------------------
-- top

local function cpu_text(cores) return ("%dm"):format(math.floor(cores * 1000 + 0.5)) end
local function mem_text(bytes) return ("%dMi"):format(math.floor(bytes / 1048576)) end

local function usage(containers)
  local cpu, mem = 0, 0
  for _, ct in ipairs(containers or {}) do
    cpu = cpu + (k8s.quantity(tbl(ct.usage).cpu) or 0)
    mem = mem + (k8s.quantity(tbl(ct.usage).memory) or 0)
  end
  return cpu, mem
end

-- The metrics of the object named name.
local function named(items, name)
  local keep = {}
  for _, m in ipairs(items) do
    if tbl(m.metadata).name == name then keep[#keep + 1] = m end
  end
  return keep
end

-- Rows in --sort-by order (cpu or memory), largest first.
local function sort_usage(rows, by)
  if not by then return end
  table.sort(rows, function(a, b)
    if by == "cpu" then return a.cpu > b.cpu end
    return a.mem > b.mem
  end)
end

function Run:top()
  local op = self.op
  local c = self.c
  if op.sub == "node" then
    local items = c:top_nodes({ label_selector = op.selector })
    if op.name then
      items = named(items, op.name)
      if #items == 0 then return self:fail(("nodemetrics.metrics.k8s.io \"%s\" not found"):format(op.name)) end
    end
    local nodes = {}
    for _, n in ipairs(c:list(c:resource("nodes"), { label_selector = op.selector }).items or {}) do
      nodes[n.metadata.name] = n
    end
    local rows = {}
    for _, m in ipairs(items) do
      local u = tbl(m.usage)
      local cpu, mem = k8s.quantity(u.cpu) or 0, k8s.quantity(u.memory) or 0
      local n = nodes[m.metadata.name]
      local alloc = tbl(n and (op.show_capacity and n.status.capacity or n.status.allocatable))
      local acpu, amem = k8s.quantity(alloc.cpu), k8s.quantity(alloc.memory)
      rows[#rows + 1] = { name = m.metadata.name, cpu = cpu, mem = mem,
        cpu_pct = acpu and acpu > 0 and ("%d%%"):format(math.floor(cpu / acpu * 100)) or "<unknown>",
        mem_pct = amem and amem > 0 and ("%d%%"):format(math.floor(mem / amem * 100)) or "<unknown>" }
    end
    sort_usage(rows, op.sort_by)
    local out = {}
    if not op.no_headers then out[1] = { "NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)" } end
    for _, r in ipairs(rows) do
      out[#out + 1] = { r.name, cpu_text(r.cpu), r.cpu_pct, mem_text(r.mem), r.mem_pct }
    end
    return self:print_rows(out)
  end
  local items = c:top_pods({ namespace = self:namespace(), all_namespaces = op.all_namespaces, label_selector = op.selector })
  if op.name then
    items = named(items, op.name)
    if #items == 0 then
      return self:fail(('podmetrics.metrics.k8s.io "%s/%s" not found'):format(self:namespace(), op.name))
    end
  end
  if #items == 0 then
    if op.all_namespaces then return self:warn("No resources found") end
    return self:warn(("No resources found in %s namespace."):format(self:namespace()))
  end
  local rows = {}
  for _, m in ipairs(items) do
    local md = tbl(m.metadata)
    if op.containers then
      for _, ct in ipairs(m.containers or {}) do
        local cpu, mem = usage({ ct })
        rows[#rows + 1] = { ns = md.namespace, pod = md.name, name = ct.name, cpu = cpu, mem = mem }
      end
    else
      local cpu, mem = usage(m.containers)
      rows[#rows + 1] = { ns = md.namespace, name = md.name, cpu = cpu, mem = mem }
    end
  end
  sort_usage(rows, op.sort_by)
  local out, head = {}, {}
  if op.all_namespaces then head[#head + 1] = "NAMESPACE" end
  if op.containers then head[#head + 1] = "POD" end
  head[#head + 1] = "NAME"
  head[#head + 1] = "CPU(cores)"
  head[#head + 1] = "MEMORY(bytes)"
  if not op.no_headers then out[1] = head end
  local tc, tm = 0, 0
  for _, r in ipairs(rows) do
    local line = {}
    if op.all_namespaces then line[#line + 1] = r.ns end
    if op.containers then line[#line + 1] = r.pod end
    line[#line + 1] = r.name
    line[#line + 1] = cpu_text(r.cpu)
    line[#line + 1] = mem_text(r.mem)
    out[#out + 1] = line
    tc, tm = tc + r.cpu, tm + r.mem
  end
  if op.sum then
    local blank = {}
    for i = 1, #head - 2 do blank[i] = "" end
    local bars, sums = {}, {}
    for i, v in ipairs(blank) do bars[i], sums[i] = v, v end
    bars[#bars + 1], bars[#bars + 2] = "________", "________"
    sums[#sums + 1], sums[#sums + 2] = cpu_text(tc), mem_text(tm)
    out[#out + 1] = bars
    out[#out + 1] = sums
  end
  self:print_rows(out)
end

---------------------------------------------------------------------------------------------
-- api-resources, api-versions, version, cluster-info

function Run:api_resources()
  local op = self.op
  local list = {}
  for _, m in ipairs(self.c:api_resources(true)) do
    local keep = m.preferred
    if keep and op.namespaced ~= nil then keep = m.namespaced == op.namespaced end
    if keep and op.api_group then keep = m.group == op.api_group end
    if keep and op.verbs then
      for _, v in ipairs(op.verbs) do
        if not has_verb(m, v) then keep = false end
      end
    end
    if keep and op.categories then
      for _, want in ipairs(op.categories) do
        local has = false
        for _, cat in ipairs(m.categories or {}) do
          if cat == want then has = true end
        end
        keep = keep and has
      end
    end
    if keep then list[#list + 1] = m end
  end
  table.sort(list, function(a, b)
    if op.sort_by == "kind" then
      if a.kind ~= b.kind then return a.kind < b.kind end
    elseif op.sort_by == "name" then
      if a.resource ~= b.resource then return a.resource < b.resource end
    end
    if a.group ~= b.group then return a.group < b.group end
    return a.resource < b.resource
  end)
  local fmt = op.output and op.output.format
  if fmt == "name" then
    for _, m in ipairs(list) do self:say(m.resource .. (m.group ~= "" and ("." .. m.group) or "")) end
    return
  end
  local rows = {}
  if not op.no_headers then
    rows[1] = { "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND" }
    if fmt == "wide" then rows[1][6], rows[1][7] = "VERBS", "CATEGORIES" end
  end
  for _, m in ipairs(list) do
    local row = { m.resource, table.concat(m.short_names or {}, ","), m.api_version, tostring(m.namespaced), m.kind }
    if fmt == "wide" then
      row[6] = table.concat(m.verbs or {}, ",")
      row[7] = table.concat(m.categories or {}, ",")
    end
    rows[#rows + 1] = row
  end
  self:print_rows(rows)
end

function Run:api_versions()
  local seen, list = {}, {}
  for _, m in ipairs(self.c:api_resources(true)) do
    if not seen[m.api_version] then
      seen[m.api_version] = true
      list[#list + 1] = m.api_version
    end
  end
  table.sort(list)
  for _, v in ipairs(list) do self:say(v) end
end

function Run:version()
  local op = self.op
  local client = { gitVersion = "ack-mcp-server", platform = "native (no kubectl binary)" }
  if op.client then
    if op.output then
      return self:text(op.output.format == "json" and jsonpath.go_json({ clientVersion = client }, "  ")
        or yaml.encode({ clientVersion = client }))
    end
    return self:say("Client Version: ack-mcp-server (native kubectl; no binary runs)")
  end
  local v = self.c:call({ path = "/version" })
  if op.output then
    local doc = { clientVersion = client, serverVersion = v }
    return self:text(op.output.format == "json" and jsonpath.go_json(doc, "  ") or yaml.encode(doc))
  end
  self:say("Client Version: ack-mcp-server (native kubectl; no binary runs)")
  self:say("Server Version: " .. tostring(v.gitVersion))
end

function Run:cluster_info()
  local c = self.c
  self:say("Kubernetes control plane is running at " .. c.server)
  local list = c:list(c:resource("services"), { namespace = "kube-system", label_selector = "kubernetes.io/cluster-service=true" })
  for _, s in ipairs(list.items or {}) do
    local md = tbl(s.metadata)
    local name = tbl(md.labels)["kubernetes.io/name"] or md.name
    local port = tbl((tbl(s.spec).ports or {})[1])
    local seg = md.name
    if str(port.name) and port.name ~= "" then seg = seg .. ":" .. port.name end
    if port.name == "https" or port.port == 443 then seg = "https:" .. seg end
    self:say(("%s is running at %s/api/v1/namespaces/kube-system/services/%s/proxy"):format(name, c.server, seg))
  end
end

---------------------------------------------------------------------------------------------
-- explain (OpenAPI v3)

local function wrap(text, width, indent)
  local out = {}
  for para in (text .. "\n"):gmatch("([^\n]*)\n") do
    local line = ""
    for word in para:gmatch("%S+") do
      if #line > 0 and #line + 1 + #word > width then
        out[#out + 1] = indent .. line
        line = word
      else
        line = #line > 0 and (line .. " " .. word) or word
      end
    end
    out[#out + 1] = indent .. line
  end
  return table.concat(out, "\n")
end

function Run:explain()
  local op = self.op
  local c = self.c
  local r = c:resource(op.api_version and (op.type .. "." .. op.api_version) or op.type)
  if op.api_version then
    local g, v = op.api_version:match("^(.+)/(.+)$")
    if not g then g, v = "", op.api_version end
    local found
    for _, m in ipairs(c:api_resources()) do
      if m.resource == r.resource and m.group == g and m.version == v then found = m end
    end
    if not found then return self:fail(("couldn't find resource for \"%s\" in %s"):format(op.type, op.api_version)) end
    r = found
  end
  local index = c:raw({ path = "/openapi/v3" })
  if index.status == 404 then
    return self:fail("the server does not serve OpenAPI v3 (/openapi/v3), which kubectl explain reads")
  end
  local idx = json.decode(index.body or "") or {}
  local key = r.group == "" and ("api/" .. r.version) or ("apis/" .. r.group .. "/" .. r.version)
  local entry = tbl(tbl(idx.paths)[key])
  local url = str(entry.serverRelativeURL) or ("/openapi/v3/" .. key)
  local path, qs = url:match("^([^?]*)%??(.*)$")
  local query = {}
  for k, v in qs:gmatch("([^&=]+)=([^&]*)") do query[k] = v end
  local doc = c:call({ path = path, query = query })
  local schemas = tbl(tbl(doc.components).schemas)
  local schema_name, schema
  for name, s in pairs(schemas) do
    for _, gvk in ipairs(tbl(s)["x-kubernetes-group-version-kind"] or {}) do
      if gvk.group == r.group and gvk.version == r.version and gvk.kind == r.kind then schema_name, schema = name, s end
    end
  end
  if not schema then return self:fail(("no OpenAPI schema for %s on this server"):format(resource_group(r))) end
  local function deref(s)
    s = tbl(s)
    local rf = s["$ref"]
    if not rf and type(s.allOf) == "table" and #s.allOf == 1 then
      local inner = deref(s.allOf[1])
      local merged = {}
      for k, v in pairs(inner) do merged[k] = v end
      if s.description then merged.description = s.description end
      return merged
    end
    if rf then
      local name = rf:match("#/components/schemas/(.+)$")
      local target = schemas[name] or {}
      local merged = {}
      for k, v in pairs(target) do merged[k] = v end
      merged._name = name
      if s.description then merged.description = s.description end
      return merged
    end
    return s
  end
  local function type_name(s)
    s = tbl(s)
    local raw = s
    s = deref(s)
    if s.type == "array" then return "[]" .. type_name(s.items) end
    if s.type == "object" and s.additionalProperties and not s.properties then
      return "map[string]" .. type_name(s.additionalProperties)
    end
    if s.type == "string" or s.type == "integer" or s.type == "number" or s.type == "boolean" then return s.type end
    if s["x-kubernetes-int-or-string"] then return "IntOrString" end
    if s._name or raw["$ref"] then return (s._name or ""):match("([^.]+)$") or "Object" end
    if s.type == "object" or s.type == nil then return "Object" end
    return s.type
  end
  if r.group ~= "" then self:say(("GROUP:      %s"):format(r.group)) end
  self:say(("KIND:       %s"):format(r.kind))
  self:say(("VERSION:    %s"):format(r.version))
  self:say("")
  local cur, field_name, field_type = deref(schema), nil, nil
  local type_desc -- the field's type's own description, which kubectl prints under the field's
  for _, part in ipairs(op.field_path) do
    local s = cur
    while s.type == "array" do s = deref(s.items) end
    local prop = tbl(s.properties)[part]
    if prop == nil then
      return self:fail(('field "%s" does not exist'):format(part))
    end
    field_name, field_type = part, type_name(prop)
    cur = deref(prop)
    while cur.type == "array" do cur = deref(cur.items) end
    type_desc = cur._name and str(tbl(schemas[cur._name]).description) or nil
    cur.description = str(tbl(prop).description) or cur.description
  end
  if field_name then
    self:say(("FIELD: %s <%s>"):format(field_name, field_type))
    self:say("")
    self:say("")
  end
  self:say("DESCRIPTION:")
  self:say(wrap(str(cur.description) or "<empty>", 76, "    "))
  if type_desc and type_desc ~= cur.description then self:say(wrap(type_desc, 76, "    ")) end
  self:say("    ")
  if next(tbl(cur.properties)) == nil then return self:say("") end
  self:say("FIELDS:")
  local function fields(s, indent, depth)
    local p = tbl(s.properties)
    local required = {}
    for _, rq in ipairs(s.required or {}) do required[rq] = true end
    for _, name in ipairs(sorted_keys(p)) do
      local f = p[name]
      local line = ("%s%s\t<%s>%s"):format(indent, name, type_name(f), required[name] and " -required-" or "")
      self:say(line)
      if op.recursive then
        local sub = deref(f)
        while sub.type == "array" do sub = deref(sub.items) end
        if depth < 12 and next(tbl(sub.properties)) ~= nil then fields(sub, indent .. "  ", depth + 1) end
      else
        self:say(wrap(str(tbl(f).description) or str(deref(f).description) or "<no description>", 80 - #indent - 2, indent .. "  "))
        self:say("")
      end
    end
  end
  fields(cur, "  ", 0)
  self:say("")
end

---------------------------------------------------------------------------------------------
-- auth

function Run:auth()
  local op = self.op
  local c = self.c
  if op.sub == "whoami" then
    local rv = c:call({ method = "POST", path = "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      body = json.encode({ apiVersion = "authentication.k8s.io/v1", kind = "SelfSubjectReview" }) })
    local ui = tbl(tbl(rv.status).userInfo)
    if op.output then
      return self:text(op.output.format == "json" and jsonpath.go_json(rv, "    ") or yaml.encode(rv))
    end
    local rows = { { "ATTRIBUTE", "VALUE" }, { "Username", ui.username or "" } }
    if str(ui.uid) then rows[#rows + 1] = { "UID", ui.uid } end
    rows[#rows + 1] = { "Groups", "[" .. table.concat(ui.groups or {}, " ") .. "]" }
    return self:text(render.columns(rows, { gap = 3, min_width = 0 }))
  end
  local ns = op.all_namespaces and "" or self:namespace()
  if op.list then
    local rv = c:call({ method = "POST", path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      body = json.encode({ apiVersion = "authorization.k8s.io/v1", kind = "SelfSubjectRulesReview", spec = { namespace = ns } }) })
    local st = tbl(rv.status)
    local rows = { { "Resources", "Non-Resource URLs", "Resource Names", "Verbs" } }
    for _, rule in ipairs(st.resourceRules or {}) do
      for _, g in ipairs(rule.apiGroups or { "" }) do
        for _, rs in ipairs(rule.resources or {}) do
          rows[#rows + 1] = { g == "" and rs or (rs .. "." .. g), "[]",
            "[" .. table.concat(rule.resourceNames or {}, " ") .. "]", "[" .. table.concat(rule.verbs or {}, " ") .. "]" }
        end
      end
    end
    for _, rule in ipairs(st.nonResourceRules or {}) do
      rows[#rows + 1] = { "", "[" .. table.concat(rule.nonResourceURLs or {}, " ") .. "]", "[]",
        "[" .. table.concat(rule.verbs or {}, " ") .. "]" }
    end
    return self:text(render.columns(rows, { gap = 3, min_width = 0 }))
  end
  local allowed, reason
  if op.non_resource_url then
    local rv = c:call({ method = "POST", path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      body = json.encode({ apiVersion = "authorization.k8s.io/v1", kind = "SelfSubjectAccessReview",
        spec = { nonResourceAttributes = { path = op.non_resource_url, verb = op.can_verb } } }) })
    allowed, reason = tbl(rv.status).allowed == true, str(tbl(rv.status).reason)
  else
    local resource, group = op.can_type, nil
    if resource ~= "*" then
      local ok, r = pcall(c.resource, c, resource)
      if ok then
        resource, group = r.resource, r.group
        if not r.namespaced and not op.all_namespaces then
          self:warn(("Warning: resource '%s' is not namespace scoped\n"):format(r.resource))
        end
      else
        self:warn(("Warning: the server doesn't have a resource type '%s'"):format(resource))
      end
    end
    local res = c:can_i(op.can_verb, resource, { namespace = ns, name = op.can_name, subresource = op.subresource, group = group })
    allowed, reason = res.allowed, res.reason
  end
  if not op.quiet then
    if allowed then self:say("yes") else
      self:say("no" .. ((reason and reason ~= "") and (" - " .. reason) or ""))
    end
  end
  if not allowed then self.exit = 1 end
end

return {
  describe = Run.describe, logs = Run.logs, events = Run.events, top = Run.top,
  ["api-resources"] = Run.api_resources, ["api-versions"] = Run.api_versions, version = Run.version,
  ["cluster-info"] = Run.cluster_info, explain = Run.explain, auth = Run.auth,
}
