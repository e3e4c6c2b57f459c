-- printers.lua: kubectl's printers (k8s.io/kubernetes/pkg/printers/internalversion) for a
-- few kinds, from plain objects: the columns `kubectl get` shows when no server-side Table
-- is available, and the field texts lua/describe.lua shares with them (a LabelSelector,
-- node roles, replica counts, an event's age). Tables are laid out by lua/render.lua.
-- Pure Lua; owned by the kubernetes tool set.
--
--   printers.objects_table(kind, items [, opts])  a `kubectl get` table from objects
--   printers.selector(label_selector)             "app=web,tier in (a,b)" or "<none>"
--   printers.node_roles(labels)                   "control-plane,worker" or "<none>"
--   printers.count(n [, default])                 a replica count, default "0"
--   printers.event_age(event [, now])             "25m", or "25m (x3 over 3d)" repeated

local V = require("value")
local T = require("text")
local render = require("render")

local M = {}

local is_table, tbl, list, str, sorted_keys, bad_arg =
  V.is_table, V.tbl, V.list, V.str, V.sorted_keys, V.bad_arg
local num, one_line = T.num, T.one_line
local sub, lower, format, concat = string.sub, string.lower, string.format, table.concat

-- A replica count as kubectl prints it; absent: default ("0", or "1" for spec.replicas).
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

-- metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key (then by the
-- text, for equal keys), so "!key" sorts with its key, not before everything.
local function selector_text(sel)
  if not is_table(sel) then return "<none>" end
  local parts = {}
  local ml = tbl(sel.matchLabels)
  for _, k in ipairs(sorted_keys(ml)) do parts[#parts + 1] = { key = k, text = k .. "=" .. tostring(ml[k]) } end
  for _, e in ipairs(list(sel.matchExpressions)) do
    local key, op = str(tbl(e).key) or "", e.operator
    local values = {}
    for _, v in ipairs(list(e.values)) do values[#values + 1] = tostring(v) end
    table.sort(values)
    local text = (op == "In" and (key .. " in (" .. concat(values, ",") .. ")"))
      or (op == "NotIn" and (key .. " notin (" .. concat(values, ",") .. ")"))
      or (op == "Exists" and key) or (op == "DoesNotExist" and ("!" .. key)) or nil
    if text then parts[#parts + 1] = { key = key, text = text } end
  end
  table.sort(parts, function(a, b)
    if a.key ~= b.key then return a.key < b.key end
    return a.text < b.text
  end)
  for i, p in ipairs(parts) do parts[i] = p.text end
  return #parts > 0 and concat(parts, ",") or "<none>"
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
    local ft = render.parse_time(tbl(tbl(cs.lastState).terminated).finishedAt)
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
    restarts_text = format("%s (%s ago)", restarts_text, render.age(now - last_restart))
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

-- Event times as kubectl prints them: LAST SEEN (series, lastTimestamp, eventTime,
-- firstTimestamp), first seen (eventTime, else firstTimestamp).
local function event_last_seen(e, now)
  if is_table(e.series) and str(e.series.lastObservedTime) then
    return render.since(e.series.lastObservedTime, now)
  end
  if str(e.lastTimestamp) then return render.since(e.lastTimestamp, now) end
  if str(e.eventTime) then return render.since(e.eventTime, now) end
  return render.since(e.firstTimestamp, now)
end

local function event_first_seen(e, now)
  if str(e.eventTime) then return render.since(e.eventTime, now) end
  return render.since(e.firstTimestamp, now)
end

-- kubectl describe's Events "Age" and `kubectl events`' LAST SEEN, rule for rule the
-- same in both: "4d23h" for a single event, "25m (x3 over 3d)" for a repeated one (its
-- series, else its count above 1), last seen then first seen.
function M.event_age(e, now)
  e = tbl(e)
  local first = event_first_seen(e, now)
  if is_table(e.series) then
    return format("%s (x%s over %s)", render.since(e.series.lastObservedTime, now),
                  T.value(e.series.count or 1), first)
  end
  if type(e.count) == "number" and e.count > 1 then
    return format("%s (x%s over %s)", render.since(e.lastTimestamp, now), num(e.count), first)
  end
  return first
end

local function event_object(e)
  local io = tbl(e.involvedObject or e.regarding)
  local kind = lower(str(io.kind) or "")
  if str(io.name) and io.name ~= "" then return kind .. "/" .. io.name end
  return kind
end

-- A column: its header, cell(obj, now, row) -> text, priority (1: only with wide).
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

local AGE = c("Age", function(o, now) return render.since(tbl(o.metadata).creationTimestamp, now) end)

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
    c("Node Selector", function(o) return T.labels(tbl(pod_template(o)).nodeSelector) end),
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
      local start, done = render.parse_time(st.startTime), render.parse_time(st.completionTime)
      if not start then return "" end
      if done then return render.age(done - start) end
      return now and render.age(now - start) or "<unknown>"
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
      return str(last) and render.since(last, now) or "<none>"
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
    c("Selector", function(o) return T.labels(tbl(o.spec).selector) end, 1),
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
  local now = opts.now or render.now()
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
  return render.table({ columnDefinitions = defs, rows = rows }, opts)
end

M.selector, M.node_roles, M.count = selector_text, node_roles, count_str

return M
