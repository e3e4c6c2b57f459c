-- k8s.lua: the Kubernetes API for tools, on the `kube` host module (which sends, holds the
-- credentials and enforces the write gate in C). Here: which cluster a call means
-- (context, cluster_id, defaults), discovery and REST mapping (kind, plural, singular,
-- short name, kind.group, group/version/kind), request shaping, and errors as the API server
-- states them ({code = Status.reason, message = Status.message, status = HTTP code}).
local M = {}

local FIELD_MANAGER = "ack-mcp-server"
local DISCOVERY_TTL = 600 -- seconds; a miss refreshes sooner (see mapping)
local TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
local AGGREGATED_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

local HTTP_REASONS = {
  [400] = "BadRequest", [401] = "Unauthorized", [403] = "Forbidden", [404] = "NotFound",
  [405] = "MethodNotAllowed", [409] = "Conflict", [410] = "Expired", [413] = "RequestEntityTooLarge",
  [415] = "UnsupportedMediaType", [422] = "Invalid", [429] = "TooManyRequests",
  [500] = "InternalError", [503] = "ServiceUnavailable", [504] = "Timeout",
}

-- An error raised as the API server stated it.
local function raise(code, message, status, extra)
  local e = { code = code, message = message, status = status }
  for k, v in pairs(extra or {}) do e[k] = v end
  error(e, 0)
end
M.raise = raise

local function api_error(resp, what)
  local st = json.decode(resp.body or "")
  local ok = st ~= nil
  local reason, message
  if type(st) == "table" and st.kind == "Status" then
    reason = st.reason ~= json.null and st.reason or nil
    message = st.message ~= json.null and st.message or nil
  end
  reason = (reason and reason ~= "") and reason or HTTP_REASONS[resp.status] or ("HTTP" .. resp.status)
  if not message or message == "" then
    local body = resp.body or ""
    message = (what and (what .. ": ") or "") .. (body ~= "" and body:sub(1, 300) or ("HTTP " .. resp.status))
  end
  if resp.status == 401 then
    message = message .. " (the cluster rejected the credentials: an expired token or certificate?)"
  end
  raise(reason, message, resp.status, { details = ok and type(st) == "table" and st.details or nil })
end

-- ---- clients ------------------------------------------------------------------------

local Client = {}
Client.__index = Client

local function mode()
  return string.upper(settings.kubeconfig_mode or "LOCAL")
end

-- In LOCAL mode a cluster id names a kubeconfig context, or a context whose cluster has that
-- name or whose server contains it.
local function context_for_cluster(id)
  for _, c in ipairs(kube.contexts()) do
    if c.name == id or c.cluster == id then return c.name end
  end
  for _, c in ipairs(kube.contexts()) do
    if c.server:find(id, 1, true) then return c.name end
  end
  raise("NoCluster", ("no kubeconfig context for cluster %q (LOCAL mode matches a context or cluster name, or the server address)"):format(id))
end

-- In ACK modes a cluster id is resolved through the cloud: its kubeconfig is fetched once
-- per credential identity and held (in C, in memory) until shortly before it expires.
local function ack_target(id)
  return require("ack_kubeconfig").hold(id, mode() == "ACK_PRIVATE")
end

-- k8s.client(args): the cluster a tool call means. args.context picks a kubeconfig context;
-- args.cluster_id (or --default-cluster-id) an ACK cluster, or in LOCAL mode a context.
function M.client(args)
  args = args or {}
  local where = {}
  local cluster_id = args.cluster_id
  if (cluster_id == nil or cluster_id == "") and (args.context == nil or args.context == "") then
    cluster_id = settings.default_cluster_id
  end
  if args.context and args.context ~= "" then
    where.context = args.context
  elseif cluster_id and cluster_id ~= "" then
    local m = mode()
    if m == "ACK_PUBLIC" or m == "ACK_PRIVATE" then
      where.key = ack_target(cluster_id)
    elseif m == "INCLUSTER" then
      if settings.default_cluster_id and cluster_id ~= settings.default_cluster_id then
        raise("NoCluster", ("in INCLUSTER mode only the home cluster (%s) is reachable, not %s"):format(settings.default_cluster_id, cluster_id))
      end
    else
      where.context = context_for_cluster(cluster_id)
    end
  end
  local info = kube.resolve(where)
  return setmetatable({
    where = where,
    target = info.name,
    namespace = info.namespace or "default",
    server = info.server,
    source = info.source,
    cluster_id = cluster_id,
  }, Client)
end

-- Raw request on this client's cluster: returns the response table for any status.
function Client:raw(o)
  return kube.request({
    context = self.where.context, key = self.where.key,
    method = o.method, path = o.path, query = o.query, body = o.body,
    content_type = o.content_type, accept = o.accept, timeout = o.timeout, max_bytes = o.max_bytes,
  })
end

-- Request that must succeed: decoded JSON (or text with o.text), else the API's error.
function Client:call(o)
  local resp = self:raw(o)
  if resp.status < 200 or resp.status > 299 then api_error(resp, o.what) end
  if o.text then return resp.body end
  if resp.body == "" then return {} end
  local v = json.decode(resp.body)
  if v == nil then raise("BadResponse", "the API server sent something that is not JSON: " .. resp.body:sub(1, 200), resp.status) end
  return v
end

-- ---- discovery ----------------------------------------------------------------------

local discovery = {} -- server|context -> { at =, list = {mapping...} }

local function add_resource(list, group, version, preferred, r)
  local kind = r.responseKind and r.responseKind.kind or r.kind
  list[#list + 1] = {
    group = group,
    version = version,
    api_version = group == "" and version or (group .. "/" .. version),
    resource = r.resource or r.name,
    singular = (r.singularResource or r.singularName or ""):lower(),
    kind = kind,
    namespaced = r.scope and (r.scope == "Namespaced") or (r.namespaced == true),
    verbs = r.verbs or {},
    short_names = r.shortNames or {},
    categories = r.categories or {},
    preferred = preferred,
  }
end

-- Aggregated discovery (two requests); legacy per-group discovery when the server has none.
local function discover(c)
  local list = {}
  local function from_aggregated(doc)
    for _, g in ipairs(doc.items or {}) do
      local group = (g.metadata and g.metadata.name) or ""
      if group == json.null then group = "" end
      for i, v in ipairs(g.versions or {}) do
        for _, r in ipairs(v.resources or {}) do add_resource(list, group, v.version, i == 1, r) end
      end
    end
  end
  local core = c:call({ path = "/api", accept = AGGREGATED_ACCEPT })
  if core.kind == "APIGroupDiscoveryList" then
    from_aggregated(core)
    from_aggregated(c:call({ path = "/apis", accept = AGGREGATED_ACCEPT }))
    return list
  end
  for i, v in ipairs(core.versions or { "v1" }) do
    for _, r in ipairs(c:call({ path = "/api/" .. v }).resources or {}) do
      if not r.name:find("/", 1, true) then add_resource(list, "", v, i == 1, r) end
    end
  end
  for _, g in ipairs(c:call({ path = "/apis" }).groups or {}) do
    local pref = g.preferredVersion and g.preferredVersion.version
    for _, gv in ipairs(g.versions or {}) do
      local rl = c:call({ path = "/apis/" .. gv.groupVersion })
      for _, r in ipairs(rl.resources or {}) do
        if not r.name:find("/", 1, true) then add_resource(list, g.name, gv.version, gv.version == pref, r) end
      end
    end
  end
  return list
end

local function discovery_key(c)
  return (c.where.key or c.where.context or "") .. "|" .. (c.server or "")
end

function Client:api_resources(refresh)
  local key = discovery_key(self)
  local d = discovery[key]
  local now = time.monotonic()
  if refresh or not d or now - d.at > DISCOVERY_TTL then
    d = { at = now, list = discover(self) }
    discovery[key] = d
  end
  return d.list, d
end

local function matches(m, name, lname)
  if m.resource == lname or m.singular == lname or (m.kind and m.kind:lower() == lname) then return true end
  for _, s in ipairs(m.short_names) do
    if s == lname then return true end
  end
  return m.kind == name
end

-- Parses "kind", "plural.group", "kind.version.group", "group/version/kind", "version/kind".
local function parse_kind(s)
  local parts = {}
  for p in s:gmatch("[^/]+") do parts[#parts + 1] = p end
  if #parts == 3 then return parts[3], parts[1], parts[2] end
  if #parts == 2 then return parts[2], "", parts[1] end
  local name, rest = s:match("^([^.]+)%.(.+)$")
  if not name then return s end
  local v, g = rest:match("^(v%d+[a-z0-9]*)%.(.+)$")
  if v then return name, g, v end
  return name, rest
end

local function find(list, name, group, version)
  local lname = name:lower()
  local best
  for _, m in ipairs(list) do
    if matches(m, name, lname) and (group == nil or m.group == group) and (version == nil or m.version == version) then
      if version or m.preferred then
        -- The core group wins ambiguous names, as with kubectl.
        if not best or (best.group ~= "" and m.group == "") then best = m end
      end
    end
  end
  return best
end

-- The REST mapping of a kind; a miss refreshes discovery once (a CRD installed a moment ago).
function Client:resource(kind)
  if type(kind) ~= "string" or kind == "" then raise("UnknownKind", "a kind is required (e.g. pods, deploy, Service)") end
  local name, group, version = parse_kind(kind)
  local list, d = self:api_resources()
  local m = find(list, name, group, version)
  if not m and time.monotonic() - d.at > 2 then
    list = self:api_resources(true)
    m = find(list, name, group, version)
  end
  if not m then
    local near = {}
    local l = name:lower()
    for _, x in ipairs(list) do
      if #near < 5 and x.preferred and (x.resource:find(l:sub(1, 3), 1, true) or l:find(x.resource:sub(1, 3), 1, true)) then
        near[#near + 1] = x.resource .. (x.group ~= "" and ("." .. x.group) or "")
      end
    end
    raise("UnknownKind", ("the server doesn't have a resource type %q%s (k8s_api_resources lists them)"):format(kind,
      #near > 0 and ("; did you mean " .. table.concat(near, ", ") .. "?") or ""))
  end
  return m
end

-- The mapping of an object's apiVersion + kind (apply, create).
function Client:resource_for(api_version, kind)
  local group, version = (api_version or ""):match("^(.+)/(.+)$")
  if not group then group, version = "", api_version end
  if not version or not kind then raise("Invalid", "the object needs apiVersion and kind") end
  local list, d = self:api_resources()
  for pass = 1, 2 do
    for _, m in ipairs(list) do
      if m.group == group and m.version == version and m.kind == kind then return m end
    end
    if pass == 1 and time.monotonic() - d.at > 2 then list = self:api_resources(true) else break end
  end
  raise("UnknownKind", ("no resource for %s %s on this server (is its CRD installed?)"):format(api_version, kind))
end

-- ---- paths and queries --------------------------------------------------------------

local function enc(s)
  return (tostring(s):gsub("[^%w%-._~]", function(ch) return ("%%%02X"):format(ch:byte()) end))
end

local function check_name(name, what)
  if type(name) ~= "string" or name == "" or name:find("[/%%?#]") or name == "." or name == ".." then
    raise("Invalid", ("%s %q is not a valid object name"):format(what or "name", tostring(name)))
  end
  return name
end

function Client:path(r, namespace, name, subresource)
  local p = r.group == "" and ("/api/" .. r.version) or ("/apis/" .. r.group .. "/" .. r.version)
  if r.namespaced and namespace then p = p .. "/namespaces/" .. enc(check_name(namespace, "namespace")) end
  p = p .. "/" .. r.resource
  if name then p = p .. "/" .. enc(check_name(name)) end
  if subresource then p = p .. "/" .. subresource end
  return p
end

local function ns_of(self, r, opts)
  if not r.namespaced then return nil end
  if opts.all_namespaces then return nil end
  return opts.namespace or self.namespace
end

local function write_query(opts, q)
  q = q or {}
  if opts.dry_run then q.dryRun = "All" end
  return q
end

-- ---- reads --------------------------------------------------------------------------

function Client:list(r, opts)
  opts = opts or {}
  local q = {}
  if opts.label_selector and opts.label_selector ~= "" then q.labelSelector = opts.label_selector end
  if opts.field_selector and opts.field_selector ~= "" then q.fieldSelector = opts.field_selector end
  if opts.limit then q.limit = opts.limit end
  if opts["continue"] and opts["continue"] ~= "" then q["continue"] = opts["continue"] end
  if opts.table then q.includeObject = opts.include_object or "Metadata" end
  return self:call({
    path = self:path(r, ns_of(self, r, opts)), query = q,
    accept = opts.table and TABLE_ACCEPT or nil, max_bytes = opts.max_bytes,
    what = "list " .. r.resource,
  })
end

function Client:get(r, name, opts)
  opts = opts or {}
  return self:call({
    path = self:path(r, ns_of(self, r, opts), name), accept = opts.table and TABLE_ACCEPT or nil,
    query = opts.table and { includeObject = "Object" } or nil,
  })
end

-- Like get, but nil (not an error) when the object does not exist.
function Client:try_get(r, name, opts)
  local ok, v = pcall(self.get, self, r, name, opts)
  if ok then return v end
  if type(v) == "table" and v.code == "NotFound" then return nil end
  error(v, 0)
end

-- ---- writes (every one passes the write gate in C; dry_run asks the server to store nothing)

function Client:create(r, obj, opts)
  opts = opts or {}
  return self:call({
    method = "POST", path = self:path(r, ns_of(self, r, opts)), body = json.encode(obj),
    query = write_query(opts, { fieldManager = FIELD_MANAGER }),
  })
end

-- Server-side apply of one object (JSON is YAML, so the body is the object as JSON).
function Client:apply(obj, opts)
  opts = opts or {}
  if type(obj) ~= "table" then raise("Invalid", "apply needs an object") end
  local r = self:resource_for(obj.apiVersion, obj.kind)
  local md = obj.metadata or {}
  local ns = r.namespaced and (md.namespace or opts.namespace or self.namespace) or nil
  if r.namespaced and md.namespace == nil then
    md.namespace = ns
    obj.metadata = md
  end
  return self:call({
    method = "PATCH", path = self:path(r, ns, check_name(md.name, "metadata.name")), body = json.encode(obj),
    content_type = "application/apply-patch+yaml",
    query = write_query(opts, { fieldManager = FIELD_MANAGER, force = opts.force and "true" or nil }),
  }), r
end

local PATCH_TYPES = {
  strategic = "application/strategic-merge-patch+json",
  merge = "application/merge-patch+json",
  json = "application/json-patch+json",
}

function Client:patch(r, name, patch, opts)
  opts = opts or {}
  local ct = PATCH_TYPES[opts.type or "strategic"]
  if not ct then raise("Invalid", "patch type must be strategic, merge or json") end
  return self:call({
    method = "PATCH", path = self:path(r, ns_of(self, r, opts), name, opts.subresource),
    body = type(patch) == "string" and patch or json.encode(patch), content_type = ct,
    query = write_query(opts, { fieldManager = FIELD_MANAGER }),
  })
end

function Client:delete(r, name, opts)
  opts = opts or {}
  local body = { kind = "DeleteOptions", apiVersion = "v1" }
  if opts.propagation then body.propagationPolicy = opts.propagation end
  if opts.grace_period then body.gracePeriodSeconds = opts.grace_period end
  if opts.dry_run then body.dryRun = json.array({ "All" }) end
  return self:call({
    method = "DELETE", path = self:path(r, ns_of(self, r, opts), name), body = json.encode(body),
    query = write_query(opts),
  })
end

-- ---- logs, events, metrics, access --------------------------------------------------

function Client:logs(pod, opts)
  opts = opts or {}
  local q = {}
  if opts.container then q.container = opts.container end
  if opts.tail then q.tailLines = opts.tail end
  if opts.since then q.sinceSeconds = opts.since end
  if opts.since_time then q.sinceTime = opts.since_time end
  if opts.previous then q.previous = "true" end
  if opts.timestamps then q.timestamps = "true" end
  if opts.limit_bytes then q.limitBytes = opts.limit_bytes end
  local r = { group = "", version = "v1", resource = "pods", namespaced = true }
  return self:call({
    path = self:path(r, opts.namespace or self.namespace, pod, "log"), query = q, text = true,
    accept = "*/*", max_bytes = opts.limit_bytes and (opts.limit_bytes + 65536) or nil,
  })
end

local function event_time(e)
  local t = e.eventTime
  if t == nil or t == json.null then t = e.lastTimestamp end
  if t == nil or t == json.null then t = e.firstTimestamp end
  if t == nil or t == json.null then t = (e.metadata or {}).creationTimestamp end
  return t ~= json.null and t or ""
end
M.event_time = event_time

-- Events, oldest first; filtered by involved object and type on the server.
function Client:events(opts)
  opts = opts or {}
  local fs = {}
  if opts.kind then fs[#fs + 1] = "involvedObject.kind=" .. opts.kind end
  if opts.name then fs[#fs + 1] = "involvedObject.name=" .. opts.name end
  if opts.uid then fs[#fs + 1] = "involvedObject.uid=" .. opts.uid end
  if opts.type then fs[#fs + 1] = "type=" .. opts.type end
  if opts.field_selector and opts.field_selector ~= "" then fs[#fs + 1] = opts.field_selector end
  local r = { group = "", version = "v1", resource = "events", namespaced = true }
  local list = self:call({
    path = self:path(r, (not opts.all_namespaces) and (opts.namespace or self.namespace) or nil),
    query = #fs > 0 and { fieldSelector = table.concat(fs, ",") } or nil,
  })
  local items = list.items or {}
  table.sort(items, function(a, b)
    local ta, tb = event_time(a), event_time(b)
    if ta == tb then return ((a.metadata or {}).name or "") < ((b.metadata or {}).name or "") end
    return ta < tb
  end)
  return items
end

local function metrics(self, what, opts)
  local p = "/apis/metrics.k8s.io/v1beta1"
  if what == "pods" and not opts.all_namespaces then p = p .. "/namespaces/" .. enc(opts.namespace or self.namespace) end
  local q = {}
  if opts.label_selector and opts.label_selector ~= "" then q.labelSelector = opts.label_selector end
  local ok, v = pcall(self.call, self, { path = p .. "/" .. what, query = q })
  if not ok then
    if type(v) == "table" and (v.code == "NotFound" or v.code == "ServiceUnavailable") then
      raise("MetricsUnavailable", "the metrics API (metrics.k8s.io) is not available on this cluster: install metrics-server", v.status)
    end
    error(v, 0)
  end
  return v.items or {}
end

function Client:top_pods(opts) return metrics(self, "pods", opts or {}) end
function Client:top_nodes(opts) return metrics(self, "nodes", opts or {}) end

function Client:can_i(verb, resource, opts)
  opts = opts or {}
  local attrs = { verb = verb, resource = resource, group = opts.group, name = opts.name,
                  subresource = opts.subresource, namespace = opts.namespace }
  local review = self:call({
    method = "POST", path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    body = json.encode({ apiVersion = "authorization.k8s.io/v1", kind = "SelfSubjectAccessReview",
                         spec = { resourceAttributes = attrs } }),
  })
  local st = review.status or {}
  return { allowed = st.allowed == true, reason = st.reason ~= json.null and st.reason or nil, denied = st.denied == true }
end

-- ---- quantities ----------------------------------------------------------------------

local SUFFIX = {
  n = 1e-9, u = 1e-6, m = 1e-3, [""] = 1, k = 1e3, M = 1e6, G = 1e9, T = 1e12, P = 1e15, E = 1e18,
  Ki = 2 ^ 10, Mi = 2 ^ 20, Gi = 2 ^ 30, Ti = 2 ^ 40, Pi = 2 ^ 50, Ei = 2 ^ 60,
}

-- A resource quantity ("250m", "1.5", "128Mi", "1e3") as a number (cores, bytes), or nil.
function M.quantity(q)
  if type(q) == "number" then return q end
  if type(q) ~= "string" then return nil end
  local num, suffix = q:match("^([+-]?[%d.]+[eE][+-]?%d+)$"), ""
  if not num then num, suffix = q:match("^([+-]?[%d.]+)(%a*)$") end
  local f = num and SUFFIX[suffix]
  return f and tonumber(num) and tonumber(num) * f or nil
end

M.TABLE_ACCEPT = TABLE_ACCEPT
return M
