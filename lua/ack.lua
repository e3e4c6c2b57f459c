-- ack.lua: what the ACK tools (tools/*.lua of toolset "ack") share: id checks, the one error
-- shape of ack-api.md §1, CS calls through the `aliyun` host module with a cluster's region
-- looked up once and cached per credential identity, relative times, paging, output caps,
-- views of the API's objects, and the poll loop behind every "wait" (tasks, diagnoses,
-- inspections): progress, cancellation, a timeout that returns what is known.
--
-- The pure parts (everything not under "Cloud calls") touch no host module at load or call
-- time, so tests/lua/ack_spec.lua runs them under plain Lua; what needs the host (aliyun,
-- cache, time, ctx) is reached only inside functions, or passed in. The schema builders
-- return a fresh table on every call: the pieces several tools' input and output schemas
-- share (ids, paging, waiting) are written once here, each tool file still returning its
-- whole definition.

local V = require("value")

local M = {}

-- ---------------------------------------------------------------------------------------
-- Ids: checked before any call, so a malformed id never reaches the cloud.

M.CLUSTER_ID_PATTERN = "^c[a-z0-9]{32}$"    -- JSON Schema (ECMA) forms, for input schemas
M.NODEPOOL_ID_PATTERN = "^np[a-z0-9]{32}$"
M.INSTANCE_ID_PATTERN = "^i-[a-z0-9]{1,64}$"
M.JOB_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" -- task, diagnosis and report ids

local LUA_IDS = {
  cluster_id = { "^c[a-z0-9]+$", 33, 'an ACK cluster id is "c" followed by 32 lowercase letters or digits' },
  nodepool_id = { "^np[a-z0-9]+$", 34, 'a node pool id is "np" followed by 32 lowercase letters or digits' },
}

-- Raises InvalidParameter unless id is a well-formed id of kind ("cluster_id", "nodepool_id").
function M.check_id(kind, id)
  local rule = LUA_IDS[kind]
  if type(id) ~= "string" or #id ~= rule[2] or not id:match(rule[1]) then
    M.fail("InvalidParameter", string.format("%s %s is malformed: %s", kind,
      type(id) == "string" and string.format("%q", id) or type(id), rule[3]))
  end
  return id
end

-- Schema of a cluster_id argument (optional: --default-cluster-id fills it in).
function M.cluster_id_schema(what)
  return { type = "string", pattern = M.CLUSTER_ID_PATTERN,
           description = (what or "The ACK cluster") .. ": its id, \"c\" + 32 lowercase letters or digits "
             .. "(list_clusters shows them). Defaults to the server's --default-cluster-id." }
end

-- The cluster an argument names, else the server's default; checked.
function M.cluster_arg(args, settings)
  local id = args.cluster_id
  if id == nil and settings then id = settings.default_cluster_id end
  if id == nil then
    M.fail("MissingParameter", "cluster_id is required (or start the server with --default-cluster-id / DEFAULT_CLUSTER_ID)")
  end
  return M.check_id("cluster_id", id)
end

-- Schema of a nodepool_id argument; what: the start of its description.
function M.nodepool_id_schema(what)
  return { type = "string", pattern = M.NODEPOOL_ID_PATTERN,
           description = what .. ": \"np\" + 32 lowercase letters or digits." }
end

-- Schema of a language argument (diagnoses, inspections); of: what is written in it.
function M.language_schema(of)
  return { type = "string", enum = { "en_US", "zh_CN" }, default = "en_US",
           description = "Language of the " .. (of or "messages") .. "." }
end

-- ---------------------------------------------------------------------------------------
-- Errors: every tool fails with one shape, {error = {code, message, request_id, api}}.

local ERROR_MT = { __tostring = function(e) return tostring(e.code) .. ": " .. tostring(e.message) end }

-- Raises a structured error (extra fields: request_id, api, status, retryable, ...).
function M.fail(code, message, extra)
  local e = { code = code, message = message }
  for k, v in pairs(extra or {}) do e[k] = v end
  error(setmetatable(e, ERROR_MT), 0)
end

-- The §1 error object of any raised value: a host/aliyun error table, ours, or a string.
function M.error_object(e, api)
  if type(e) ~= "table" then
    return { code = "InternalError", message = tostring(e), api = api }
  end
  local out = { code = e.code and tostring(e.code) or "InternalError",
                message = e.message ~= nil and tostring(e.message) or tostring(e),
                request_id = e.request_id, api = e.api or api, status = e.status,
                retryable = e.retryable }
  for _, k in ipairs({ "task_id", "diagnosis_id", "report_id", "hint" }) do out[k] = e[k] end
  return out
end

-- ---------------------------------------------------------------------------------------
-- Time: ISO 8601 / RFC 3339, unix seconds (or milliseconds), or relative "30m", "2h", "1d".

local UNITS = { s = 1, m = 60, h = 3600, d = 86400, w = 604800 }

-- Epoch seconds of s, or nil and why. now: epoch seconds; parse_iso: RFC 3339 -> seconds
-- or nil, reason (the host's time.parse).
function M.parse_time(s, now, parse_iso)
  if type(s) == "number" then return s > 1e12 and s / 1000 or s end
  if type(s) ~= "string" then return nil, "expected a time string" end
  s = s:match("^%s*(.-)%s*$")
  if s == "now" then return now end
  local n, unit = s:match("^(%d+%.?%d*)%s*([smhdw])$")
  if n then return now - tonumber(n) * UNITS[unit] end
  if s:match("^%d+$") then
    local v = tonumber(s)
    return v > 1e12 and v / 1000 or v
  end
  local t, why = parse_iso(s)
  if t then return t end
  return nil, string.format('%q is not a time: use RFC 3339 ("2025-06-01T08:00:00Z"), unix seconds, or a relative time like 30m, 2h, 1d (%s)', s, tostring(why))
end

-- ---------------------------------------------------------------------------------------
-- Paging and output budgets (ack-api.md §9.4).

-- The items of page page_number (1-based) of size page_size, and the total.
function M.slice(items, page_number, page_size)
  local out = json.array()
  local first = (page_number - 1) * page_size + 1
  for i = first, math.min(#items, first + page_size - 1) do out[#out + 1] = items[i] end
  return out, #items
end

-- Reads every page: fetch(page_number) returns items, total_count. Stops when total is
-- reached, a page comes back short or empty, or max_pages were read (then the third
-- result is true: there was more).
function M.all_pages(fetch, page_size, max_pages)
  local all, page = {}, 1
  while true do
    local items, total = fetch(page)
    for _, it in ipairs(items or {}) do all[#all + 1] = it end
    if not items or #items < page_size or (total and #all >= total) then return all, total or #all, false end
    if page >= max_pages then return all, total, true end
    page = page + 1
  end
end

-- Keeps the leading items whose JSON fits in budget bytes; returns them and whether any were cut.
function M.cap(items, budget)
  -- Usually the whole list fits: one encode says so; item by item only when it does not.
  if #json.encode(items) <= budget then
    local out = json.array()
    table.move(items, 1, #items, 1, out)
    return out, false, #items
  end
  local out, used = json.array(), 0
  for i, it in ipairs(items) do
    used = used + #json.encode(it) + 1
    if used > budget then return out, true, i - 1 end
    out[i] = it
  end
  return out, false, #items
end

-- The byte budget of a list in a result (the server's --max-output-bytes less room for the rest).
function M.list_budget(settings)
  local max = settings and settings.max_output_bytes or 32768
  return math.max(1024, max - 2048)
end

-- Schemas of the paging arguments of a list tool: the page (description: default "Page
-- to return, from 1.") and its size; noun: what a page holds ("Nodes").
function M.page_number_schema(description)
  return { type = "integer", minimum = 1, default = 1, description = description or "Page to return, from 1." }
end

function M.page_size_schema(noun)
  return { type = "integer", minimum = 1, maximum = 100, default = 10, description = noun .. " per page, 1 to 100." }
end

-- Output schema of a list tool: the list under key, the paging, and whether the list was
-- cut; extra: more properties.
function M.page_output(key, extra)
  local props = { [key] = { type = "array", items = { type = "object" } }, page_number = { type = "integer" },
                  page_size = { type = "integer" }, total_count = { type = "integer" }, truncated = { type = "boolean" } }
  for k, v in pairs(extra or {}) do props[k] = v end
  return { type = "object", properties = props, required = { key, "page_number", "page_size", "total_count" } }
end

-- The result of a list tool: the items of the page asked for (args.page_number, page_size)
-- that fit the output budget, under key; truncated when some were cut, or when more says
-- the list itself was.
function M.page_result(key, items, total, args, settings, more)
  local kept, cut = M.cap(items, M.list_budget(settings))
  return { [key] = kept, page_number = args.page_number, page_size = args.page_size, total_count = total,
           truncated = (cut or more) or nil }
end

-- ---------------------------------------------------------------------------------------
-- Views of API objects.

local is_null = V.is_null

-- A JSON text field parsed (master_url, diagnosis result/target), or the value as it was.
function M.maybe_json(v)
  if type(v) ~= "string" or v == "" then return v end
  local ok, parsed = pcall(json.decode, v)
  if ok and parsed ~= nil then return parsed end
  return v
end

-- A cluster of DescribeClustersV1/DescribeClusterDetail: every field kept (nulls too), and
-- master_url (JSON text) parsed into api_server_endpoints {public, intranet}.
function M.cluster_view(c)
  local out = {}
  for k, v in pairs(c) do
    if k ~= "master_url" then out[k] = v end
  end
  local m = M.maybe_json(c.master_url)
  if type(m) ~= "table" then m = {} end
  local function endpoint(v) return (not is_null(v) and v ~= "") and v or json.null end
  out.api_server_endpoints = { public = endpoint(m.api_server_endpoint),
                               intranet = endpoint(m.intranet_api_server_endpoint) }
  return out
end

local SECRETS = { login_password = true, user_data = true, pre_user_data = true }

-- A deep copy with secret fields (node pool passwords, user data) replaced, unless shown.
function M.redact(v, show)
  if type(v) ~= "table" or v == json.null then return v end
  local out = {}
  for k, x in pairs(v) do
    if SECRETS[k] and not show and not is_null(x) and x ~= "" then out[k] = "[redacted]"
    else out[k] = M.redact(x, show) end
  end
  return setmetatable(out, getmetatable(v)) -- keeps json.array marks
end

-- A node pool of DescribeClusterNodePools/-Detail, flattened: nodepool_info and status
-- fields at the top, the configuration blocks kept, secrets redacted.
function M.nodepool_view(np, show_secrets)
  local out = {}
  for k, v in pairs(np.nodepool_info or {}) do out[k] = v end
  for k, v in pairs(np.status or {}) do out[k] = v end
  for _, block in ipairs({ "scaling_group", "auto_scaling", "kubernetes_config", "management", "tee_config",
                           "interconnect_config", "node_config" }) do
    if np[block] ~= nil then out[block] = M.redact(np[block], show_secrets) end
  end
  if np.max_nodes ~= nil then out.max_nodes = np.max_nodes end
  if type(np.scaling_group) == "table" and np.scaling_group.desired_size ~= nil then
    out.desired_size = np.scaling_group.desired_size
  end
  return out
end

-- Task states (ack-api.md §2.8): "fail" is "failed".
local TERMINAL = { success = true, failed = true, fail = true, canceled = true, cancelled = true }
function M.task_state(s) return s == "fail" and "failed" or s end
function M.task_terminal(s) return TERMINAL[s] == true end

-- A task of DescribeClusterTasks for list_cluster_tasks.
function M.task_view(t)
  return { task_id = t.task_id, task_type = t.task_type, state = M.task_state(t.state),
           created = t.created, updated = t.updated, target = t.target,
           error = is_null(t.error) and json.null or t.error }
end

local DIAG_STATUS = { [0] = "created", [1] = "running", [2] = "completed" }

-- A GetClusterDiagnosisResult answer (status/code integers, JSON-text fields) as the tools
-- return it. 0 is a value, not "unset" (upstream lost it).
function M.diagnosis_view(r)
  local status, code = tonumber(r.status), tonumber(r.code)
  local out = {
    diagnosis_id = r.diagnosis_id,
    status = DIAG_STATUS[status] or tostring(r.status),
    message = r.message,
    created = r.created,
    finished = r.finished,
    resource_type = r.type,
    resource_target = M.maybe_json(r.target),
    result = M.maybe_json(r.result),
  }
  if status == 2 or code == 1 then out.code = code == 0 and "success" or "failed" end
  return out
end

function M.diagnosis_finished(r)
  return tonumber(r.status) == 2 or tonumber(r.code) == 1
end

-- What a diagnosis of each type needs in its target (ack-api.md §2.9).
M.DIAGNOSIS_TARGETS = {
  node = { required = { "name" }, example = '{"name": "cn-hangzhou.192.168.0.5"} (a node name)' },
  pod = { required = { "namespace", "name" }, example = '{"namespace": "default", "name": "web-0"}' },
  service = { required = { "namespace", "name" }, example = '{"namespace": "default", "name": "web"}' },
  ingress = { required = { "url" }, example = '{"url": "https://shop.example.com/cart"}' },
  memory = { required = { "node" }, example = '{"node": "cn-hangzhou.192.168.0.5"}' },
  network = { required = { "src", "dst" }, optional = { "dport", "protocol" },
              example = '{"src": "10.0.1.11", "dst": "10.0.2.20", "dport": "80", "protocol": "tcp"}' },
  cluster = { required = {}, example = "{}" },
}

-- The target of a diagnosis of dtype as an object: a table, a JSON text of one, or nil
-- (only for types that need nothing). Raises InvalidParameter naming what is missing.
function M.diagnosis_target(dtype, target, argname)
  argname = argname or "target"
  local spec = M.DIAGNOSIS_TARGETS[dtype]
  if not spec then M.fail("InvalidParameter", "unknown diagnosis type " .. tostring(dtype)) end
  if type(target) == "string" then
    local ok, v = pcall(json.decode, target)
    if not ok or type(v) ~= "table" or json.is_array(v) and #v > 0 then
      M.fail("InvalidParameter", string.format("%s is not a JSON object; a %s diagnosis takes %s", argname, dtype, spec.example))
    end
    target = v
  end
  if target == nil or target == json.null then target = {} end
  local out = {}
  for _, k in ipairs(spec.required) do
    local v = target[k]
    if v == nil or v == json.null or v == "" then
      M.fail("InvalidParameter", string.format("%s.%s is required for a %s diagnosis, e.g. %s", argname, k, dtype, spec.example))
    end
    out[k] = type(v) == "number" and tostring(v) or v
  end
  for _, k in ipairs(spec.optional or {}) do
    local v = target[k]
    if v ~= nil and v ~= json.null then out[k] = type(v) == "number" and tostring(v) or v end
  end
  for k, v in pairs(target) do
    if out[k] == nil and type(k) == "string" and v ~= json.null then out[k] = v end
  end
  return out
end

-- ---------------------------------------------------------------------------------------
-- Waiting: one loop for tasks, diagnoses and inspections.

-- Polls until done(obj), the timeout, or cancellation. o: fetch() -> obj, done(obj),
-- timeout (s), interval (s, or function(elapsed) -> s), clock() -> s, sleep(s),
-- cancelled() -> bool, progress(elapsed, obj) (optional). Returns obj, outcome ("done",
-- "timeout", "cancelled"), polls. A wait never outlasts the timeout by more than a poll.
function M.poll(o)
  local t0 = o.clock()
  local polls, obj = 0, nil
  while true do
    obj = o.fetch()
    polls = polls + 1
    local elapsed = o.clock() - t0
    if o.done(obj) then return obj, "done", polls end
    if o.progress then o.progress(elapsed, obj) end
    if o.cancelled and o.cancelled() then return obj, "cancelled", polls end
    local left = o.timeout - elapsed
    if left <= 0 then return obj, "timeout", polls end
    local wait = type(o.interval) == "function" and o.interval(elapsed) or o.interval
    o.sleep(math.min(wait, left))
  end
end

-- A progress reporter for ctx whose values always increase (the host drops others).
function M.progress_reporter(ctx, total)
  local last = -math.huge
  return function(elapsed, message)
    local p = math.max(elapsed, last + 0.001)
    last = p
    ctx.progress(p, total, message)
  end
end

-- The task poll interval (ack-api.md §2.8): 5 s, 15 s after the first minute.
function M.task_interval(elapsed) return elapsed < 60 and 5 or 15 end

-- Adds the wait and timeout_seconds arguments of a write tool that starts a task (M.wait_task)
-- to props; what: the kind of task ("scaling").
function M.task_wait_input(props, what)
  props.wait = { type = "boolean", default = false, description = "Wait for the " .. what .. " task to finish." }
  props.timeout_seconds = { type = "integer", minimum = 10, maximum = 3500, default = 600,
                            description = "With wait: how long to wait before returning the task's current state (the task goes on)." }
  return props
end

-- Output schema of a write tool that starts a task on a node pool (M.nodepool_task).
function M.task_output()
  return {
    type = "object",
    properties = {
      task_id = { type = "string" }, request_id = { type = "string" }, cluster_id = { type = "string" },
      nodepool_id = { type = "string" }, state = { type = "string" }, task = { type = "object" },
      timed_out = { type = "boolean" }, message = { type = "string" }, error = { type = "object" },
    },
    required = { "task_id" },
  }
end

-- Adds the timeout_seconds and poll_interval_seconds arguments of a tool that waits for a
-- diagnosis or inspection (M.wait_job) to props, with their descriptions.
function M.job_wait_input(props, timeout_description, interval_description)
  props.timeout_seconds = { type = "number", minimum = 1, maximum = 3500, description = timeout_description }
  props.poll_interval_seconds = { type = "number", minimum = 0.05, maximum = 600, description = interval_description }
  return props
end

-- Input schema of a tool that reads one diagnosis.
function M.diagnosis_read_input()
  return {
    type = "object",
    properties = {
      cluster_id = M.cluster_id_schema(),
      diagnosis_id = { type = "string", pattern = M.JOB_ID_PATTERN, description = "The diagnosis id." },
      language = M.language_schema(),
    },
    required = { "diagnosis_id" },
    additionalProperties = false,
  }
end

-- ---------------------------------------------------------------------------------------
-- Cloud calls (need the host's aliyun, cache, time and ctx).

M.CS_VERSION = "2015-12-15"

-- Query values as the CS API wants them: booleans true/false, integers as decimal text,
-- arrays as JSON text; nils dropped.
function M.query(t)
  local q = {}
  for k, v in pairs(t) do
    if type(v) == "boolean" then q[k] = v and "true" or "false"
    elseif math.type(v) == "integer" then q[k] = string.format("%d", v)
    elseif type(v) == "number" then q[k] = tostring(v)
    elseif type(v) == "table" and v ~= json.null then q[k] = json.encode(v)
    elseif type(v) == "string" then q[k] = v end
  end
  return q
end

-- One CS call. spec: action, method (GET), path, query (table), body (table), region,
-- global (the global endpoint). Returns the decoded body and meta {request_id, status}.
function M.cs(spec)
  local req = { product = "cs", version = M.CS_VERSION, action = spec.action, method = spec.method or "GET",
                path = spec.path, region = spec.region, global = spec.global,
                query = spec.query and M.query(spec.query) or nil,
                body = spec.body ~= nil and json.encode(spec.body) or nil }
  local ok, body, meta = pcall(aliyun.roa, req)
  if not ok then
    if type(body) == "table" and body.api == nil then body.api = spec.action end
    error(body, 0)
  end
  return body, meta
end

-- The request id of a CS answer: in its body, else in the call's meta.
function M.request_id(body, meta)
  return body.request_id or (meta and meta.request_id)
end

-- Who is calling, for cache keys: values fetched with one identity's credentials are never
-- served to another (ack-api.md §6.3, §9.2).
function M.identity(ctx)
  local c = ctx.credentials
  if type(c) == "table" and c.access_key_id then return "ak:" .. c.access_key_id end
  local cred = aliyun.credentials()
  local id = type(cred) == "table" and (cred.identity or cred.access_key_id) or nil
  return id and tostring(id) or "default"
end

-- DescribeClusterDetail of a cluster (global endpoint); remembers its region.
function M.cluster_detail(ctx, cluster_id)
  local d, meta = M.cs{ action = "DescribeClusterDetail", path = "/clusters/" .. cluster_id, global = true }
  if type(d) == "table" and type(d.region_id) == "string" then
    cache.set("cs:region:" .. cluster_id .. ":" .. M.identity(ctx), d.region_id)
  end
  return d, meta
end

-- The region of a cluster: looked up once per credential identity and cached for --cache-ttl
-- (a cluster never changes region); concurrent lookups share one call.
function M.cluster_region(ctx, cluster_id)
  local key = "cs:region:" .. cluster_id .. ":" .. M.identity(ctx)
  return cache.fetch(key, nil, function()
    local d = M.cs{ action = "DescribeClusterDetail", path = "/clusters/" .. cluster_id, global = true }
    if type(d) ~= "table" or type(d.region_id) ~= "string" then
      M.fail("UnexpectedResponse", "DescribeClusterDetail of " .. cluster_id .. " returned no region_id",
             { api = "DescribeClusterDetail" })
    end
    return d.region_id
  end)
end

-- Polls a job with the host's clock, sleep, cancellation and progress. o as M.poll plus
-- describe(obj) -> progress message, and what (for errors: "diagnosis 6cf...").
function M.wait(ctx, o)
  local report = M.progress_reporter(ctx, o.timeout)
  return M.poll{
    fetch = o.fetch, done = o.done, timeout = o.timeout, interval = o.interval,
    clock = time.monotonic, sleep = time.sleep, cancelled = ctx.cancelled,
    progress = function(elapsed, obj) report(elapsed, o.describe(obj, elapsed)) end,
  }
end

-- How long a diagnosis or inspection is waited for and how often it is polled: the
-- arguments, else --diagnose-timeout and --diagnose-poll-interval.
function M.job_wait(args)
  return args.timeout_seconds or settings.diagnose_timeout or 300,
         args.poll_interval_seconds or settings.diagnose_poll_interval or 10
end

-- Waits for a diagnosis or inspection (o as M.wait, less timeout and interval: M.job_wait
-- of args). The job goes on whatever happens here, so a failure to read it is raised with
-- its id (field = id) and note added to the message, lest it be started twice. Returns the
-- last read, the outcome and the timeout.
function M.wait_job(ctx, args, o, field, id, note)
  o.timeout, o.interval = M.job_wait(args)
  local ok, r, outcome = pcall(M.wait, ctx, o)
  if not ok then
    local e = M.error_object(r)
    e[field] = id
    e.message = e.message .. note
    error(e, 0)
  end
  return r, outcome, o.timeout
end

-- Starts a diagnosis of dtype on target (CreateClusterDiagnosis); returns the answer,
-- whose diagnosis_id is checked, and meta.
function M.create_diagnosis(cluster_id, dtype, target)
  local r, meta = M.cs{ action = "CreateClusterDiagnosis", method = "POST", global = true,
                        path = "/clusters/" .. cluster_id .. "/diagnosis", body = { type = dtype, target = target } }
  if type(r.diagnosis_id) ~= "string" then
    M.fail("UnexpectedResponse", "CreateClusterDiagnosis returned no diagnosis_id", { api = "CreateClusterDiagnosis" })
  end
  return r, meta
end

-- One read of a diagnosis (GetClusterDiagnosisResult), as the API answers.
function M.diagnosis_result(cluster_id, diagnosis_id, language)
  return M.cs{ action = "GetClusterDiagnosisResult", global = true,
               path = "/clusters/" .. cluster_id .. "/diagnosis/" .. diagnosis_id .. "/result",
               query = { language = language } }
end

-- Follows a CS task to its end (write tools with wait = true). Returns the fields to add to
-- the result: state, task, and timed_out when the timeout came first (the task goes on).
function M.wait_task(ctx, region, task_id, timeout)
  local task, outcome = M.wait(ctx, {
    timeout = timeout,
    interval = M.task_interval,
    fetch = function()
      return M.cs{ action = "DescribeTaskInfo", path = "/tasks/" .. task_id, region = region }
    end,
    done = function(t) return M.task_terminal(t.state) end,
    describe = function(t, elapsed)
      local stage = type(t.current_stage) == "string" and (" at " .. t.current_stage) or ""
      return string.format("task %s %s%s after %d s", task_id, tostring(t.state), stage, math.floor(elapsed))
    end,
  })
  local out = { state = M.task_state(task.state), task = task }
  if outcome ~= "done" then
    out.timed_out = true
    out.message = string.format("task %s is still %s after %d s; it goes on in the cloud: follow it with describe_task_info",
                                task_id, tostring(task.state), timeout)
  end
  if not is_null(task.error) and task.error then out.error = task.error end
  return out
end

-- Starts a task on the node pool args name (write tools): spec as M.cs, its path relative
-- to the node pool's ("/nodes"), its region filled in. Returns task_id, request_id,
-- cluster_id and nodepool_id; with args.wait, also what M.wait_task adds, waiting up to
-- args.timeout_seconds.
function M.nodepool_task(ctx, args, spec)
  local id = M.cluster_arg(args, settings)
  local region = M.cluster_region(ctx, id)
  spec.region = region
  spec.path = "/clusters/" .. id .. "/nodepools/" .. args.nodepool_id .. (spec.path or "")
  local r, meta = M.cs(spec)
  local out = { task_id = r.task_id, request_id = M.request_id(r, meta), cluster_id = id, nodepool_id = args.nodepool_id }
  if type(out.task_id) ~= "string" then
    M.fail("UnexpectedResponse", spec.action .. " returned no task_id", { api = spec.action, request_id = out.request_id })
  end
  if args.wait then
    for k, v in pairs(M.wait_task(ctx, region, out.task_id, args.timeout_seconds)) do out[k] = v end
  end
  return out
end

-- ---------------------------------------------------------------------------------------
-- The tool wrapper.

-- Fills in the ACK defaults of a tool definition and wraps its handler so that any failure
-- becomes the one error result: isError, the §1 body as text, and the host's error _meta.
function M.tool(def)
  def.toolset = def.toolset or "ack"
  local handler, name = def.handler, def.name
  def.handler = function(args, ctx)
    local ok, r = pcall(handler, args, ctx)
    if ok then return r end
    local e = M.error_object(r)
    log.info(string.format("%s failed: %s %s", name, e.code, e.message))
    return mcp.result{
      isError = true,
      content = { { type = "text", text = json.encode({ error = e }) } },
      _meta = { ["ack-mcp-server/error"] = { code = e.code, retryable = e.retryable == true } },
    }
  end
  return def
end

return M
