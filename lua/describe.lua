-- describe.lua: `kubectl describe`-like text for one object and its events: the header
-- (name, namespace, labels, annotations), per-kind sections for Pod, Deployment, Node,
-- Service and Secret, a dump of the remaining fields for any other kind, then the Events
-- block. Laid out with lua/render.lua's tabwriter; field texts shared with `kubectl get`
-- come from lua/printers.lua. Pure Lua; owned by the kubernetes tool set.
--
--   describe.describe(obj, events [, opts])

local V = require("value")
local T = require("text")
local render = require("render")
local printers = require("printers")

local M = {}

local is_table, is_list, tbl, list, str, sorted_keys, bad_arg =
  V.is_table, V.is_list, V.tbl, V.list, V.str, V.sorted_keys, V.bad_arg
local num, escape, value_text, split_lines, one_line = T.num, T.escape, T.value, T.split_lines, T.one_line
local count_str, selector_text = printers.count, printers.selector
local sub, upper, lower, format, rep, concat =
  string.sub, string.upper, string.lower, string.format, string.rep, table.concat

-- Lines of cells at an indentation level; formatted as kubectl's describe tabwriter
-- (padding 2). A value with line breaks continues below itself, aligned.
local Writer = {}
Writer.__index = Writer

local function new_writer(now)
  return setmetatable({ rows = {}, now = now }, Writer)
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
  if not self.now or not render.parse_time(v) then return v end
  return v .. " (" .. render.since(v, self.now) .. " ago)"
end

function Writer:result()
  return render.columns(self.rows, { gap = 2, min_width = 0 })
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
    if k ~= render.LAST_APPLIED then
      local v = value_text(a[k]):gsub("\n", "\\n")
      if #v > MAX_ANNOTATION then
        v = T.utf8_prefix(v, MAX_ANNOTATION) .. format("... (%d bytes)", #v)
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
  if opts.roles then w:add(0, "Roles", printers.node_roles(md.labels)) end
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
  w:add(0, "Selector", T.labels(spec.selector))
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
      local text = opts.yaml_encode and opts.yaml_encode(v) or render.dump(v)
      for _, l in ipairs(split_lines(text)) do w:text(1, l) end
    else
      w:add(0, title(k), is_table(v) and (is_list(v) and "[]" or "{}") or T.scalar(v))
    end
  end
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
    w:row(1, str(e.type) or "", str(e.reason) or "", printers.event_age(e, now), src, one_line(e.message or e.note))
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
  local now = opts.now or render.now()
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
