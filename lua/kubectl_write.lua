-- kubectl_write.lua: the verbs of ack_kubectl that change the cluster (owner: the kubectl
-- task): apply/create/delete/diff with -f - (the tool's `manifest`), create shortcuts, patch,
-- scale, rollout, label, annotate, cordon, uncordon, drain (cordon + evictions, retried while
-- a PodDisruptionBudget refuses). Every request passes the server's write gate in C; the
-- parser refuses these verbs up front in read-only mode unless they are dry runs.

local jsonpath = require("jsonpath")
local render = require("render")
local rollout = require("rollout")
local R = require("kubectl_run")
local Run = R.Run
local null, tbl, str, is_null, sorted_keys, show_secrets = R.null, R.tbl, R.str, R.is_null, R.sorted_keys, R.show_secrets
local kind_group, ref, quoted, resource_group, dry_suffix = R.kind_group, R.ref, R.quoted, R.resource_group, R.dry_suffix
local has_verb, list_opts, continue_of = R.has_verb, R.list_opts, R.continue_of

local WAIT_DEFAULT = 30            -- seconds rollout status / drain wait at most
local EVICT_RETRY = 5              -- seconds between evictions refused by a PDB, as kubectl

---------------------------------------------------------------------------------------------
-- Writes

local function write_opts(self, extra)
  local o = { namespace = self:namespace(), dry_run = self.op.dry_run == "server" }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- Runs fn(x) for each of items on its own, as kubectl goes through the objects of one
-- command: a failure is reported (through why(err) when given) and the next item still goes.
function Run:each(items, fn, why)
  for _, x in ipairs(items) do
    local ok, err = pcall(fn, x)
    if not ok then self:fail(why and why(err) or err) end
  end
end

-- Prints the result of a write: -o name|yaml|json, or kubectl's "ref verb" line.
function Run:wrote(r, obj, name, verb)
  local o = self.op.output
  if o and o.format ~= "name" and type(obj) == "table" then
    obj.apiVersion = obj.apiVersion or r.api_version
    obj.kind = obj.kind or r.kind
    return self:print_objects({ self:shape(obj, r.kind) }, { ref(r, name) }, true)
  end
  if o and o.format == "name" then return self:say(ref(r, name)) end
  self:say(ref(r, name) .. " " .. verb .. dry_suffix(self.op))
end

-- Whether a write changed nothing: the objects are equal but for what every write touches.
local function same_object(a, b)
  local function canon(o)
    local c = json.decode(json.encode(o))
    local md = tbl(c.metadata)
    md.resourceVersion, md.managedFields, md.generation = nil, nil, nil
    return jsonpath.go_json(c)
  end
  return canon(a) == canon(b)
end

local function conflict_hint(e)
  if type(e) == "table" and e.code == "Conflict" and tostring(e.message):find("^Apply failed") then
    e.message = e.message .. " (add --force-conflicts to take these fields over)"
  end
  return e
end

function Run:apply()
  local op = self.op
  local c = self.c
  self:each(self:manifest_objects(), function(obj)
    local r, ns, name = self:object_ref(obj)
    local live = c:try_get(r, name, { namespace = ns })
    if op.dry_run == "client" then
      return self:wrote(r, obj, name, live and "configured" or "created")
    end
    local after = c:apply(obj, { namespace = ns, dry_run = op.dry_run == "server", force = op.force_conflicts })
    local verb
    if op.server_side then
      verb = "serverside-applied"
    elseif not live then
      verb = "created"
    elseif same_object(live, after) then
      verb = "unchanged"
    else
      verb = "configured"
    end
    self:wrote(r, after, name, verb)
  end, conflict_hint)
end

-- Objects for `create namespace|configmap|secret|serviceaccount|deployment NAME`.
local function generated(op)
  if op.sub == "namespace" then
    return { apiVersion = "v1", kind = "Namespace", metadata = { name = op.name } }
  elseif op.sub == "serviceaccount" then
    return { apiVersion = "v1", kind = "ServiceAccount", metadata = { name = op.name } }
  elseif op.sub == "configmap" or op.sub == "secret" then
    local data = {}
    for _, l in ipairs(op.literals) do
      if data[l.key] ~= nil then
        error({ code = "InvalidCommand", message = ('cannot add key %s, another key by that name already exists'):format(l.key) }, 0)
      end
      data[l.key] = op.sub == "secret" and mcp.base64(l.value) or l.value
    end
    local obj = { apiVersion = "v1", kind = op.sub == "secret" and "Secret" or "ConfigMap", metadata = { name = op.name } }
    if next(data) then obj.data = data end
    if op.sub == "secret" then obj.type = op.secret_type or "Opaque" end
    return obj
  elseif op.sub == "deployment" then
    local containers = json.array()
    for _, image in ipairs(op.images) do
      local base = image:match("([^/:@]+)[:@]?[^/]*$") or "app"
      base = base:lower():gsub("[^a-z0-9-]", "-")
      local ct = { name = base, image = image }
      if op.port then ct.ports = json.array({ { containerPort = op.port } }) end
      containers[#containers + 1] = ct
    end
    return { apiVersion = "apps/v1", kind = "Deployment",
      metadata = { name = op.name, labels = { app = op.name } },
      spec = { replicas = op.replicas, selector = { matchLabels = { app = op.name } },
        template = { metadata = { labels = { app = op.name } }, spec = { containers = containers } } } }
  end
end

function Run:create()
  local op = self.op
  local c = self.c
  local objs = op.stdin and self:manifest_objects() or { generated(op) }
  self:each(objs, function(obj)
    local r, ns, name = self:object_ref(obj)
    if op.dry_run == "client" then return self:wrote(r, obj, name, "created") end
    local after = c:create(r, obj, { namespace = ns, dry_run = op.dry_run == "server" })
    self:wrote(r, after, name, "created")
  end, function(err)
    if op.stdin and type(err) == "table" and err.status then
      err.message = 'error when creating "STDIN": ' .. tostring(err.message)
    end
    return err
  end)
end

-- The objects a write verb names: {r=, name=, ns=} from TYPE NAME, a selector, --all or -f -.
function Run:targets()
  local op = self.op
  local c = self.c
  local out = {}
  if op.stdin then
    for _, obj in ipairs(self:manifest_objects()) do
      local r, ns, name = self:object_ref(obj)
      out[#out + 1] = { r = r, name = name, ns = ns }
    end
    return out
  end
  for _, g in ipairs(op.resources) do
    local rs = self:resolve(g.type)
    for _, r in ipairs(rs) do
      if #g.names > 0 then
        for _, n in ipairs(g.names) do out[#out + 1] = { r = r, name = n, ns = self:namespace() } end
      else
        local list = self:try(c.list, c, r, list_opts(self, r, { table = true }))
        for _, row in ipairs(list and list.rows or {}) do
          local md = tbl(tbl(row.object).metadata)
          out[#out + 1] = { r = r, name = md.name, ns = md.namespace or self:namespace() }
        end
        if list and #(list.rows or {}) == 0 then self:none_found(r.namespaced) end
      end
    end
  end
  return out
end

function Run:delete()
  local op = self.op
  local c = self.c
  for _, t in ipairs(self:targets()) do
    if op.dry_run == "client" then
      local live = self:try(c.get, c, t.r, t.name, { namespace = t.ns })
      if live then self:say(quoted(t.r, t.name) .. " deleted (dry run)") end
    else
      local ok, err = pcall(c.delete, c, t.r, t.name, write_opts(self, {
        namespace = t.ns, propagation = op.propagation, grace_period = op.grace_period }))
      if ok then
        if op.output and op.output.format == "name" then self:say(ref(t.r, t.name))
        else self:say(quoted(t.r, t.name) .. " deleted" .. dry_suffix(op)) end
      elseif not (op.ignore_not_found and type(err) == "table" and err.code == "NotFound") then
        self:fail(err)
      end
    end
  end
end

function Run:patch()
  local op = self.op
  local c = self.c
  local body = op.patch_object
  if op.patch_yaml then
    local ok, v = pcall(yaml.decode, op.patch)
    if not ok or type(v) ~= "table" then
      return self:fail(("unable to parse %q: the patch is neither JSON nor YAML"):format(op.patch))
    end
    body = v
  end
  local g = op.resources[1]
  local r = c:resource(g.type)
  self:each(g.names, function(name)
    local before = c:get(r, name, { namespace = self:namespace() })
    if op.dry_run == "client" then return self:wrote(r, before, name, "patched") end
    local after = c:patch(r, name, body, write_opts(self, { type = op.patch_type, subresource = op.subresource }))
    local same = same_object(before, after)
    self:wrote(r, after, name, same and "patched (no change)" or "patched")
  end)
end

function Run:scale()
  local op = self.op
  local c = self.c
  self:each(self:targets(), function(t)
    local obj = c:get(t.r, t.name, { namespace = t.ns })
    local cur = tbl(obj.spec).replicas
    if op.current_replicas and cur ~= op.current_replicas then
      error({ code = "Precondition", message = ("Expected replicas to be %d, was %s"):format(op.current_replicas, tostring(cur)) }, 0)
    end
    if op.resource_version and tbl(obj.metadata).resourceVersion ~= op.resource_version then
      error({ code = "Conflict", status = 409, message = ("Operation cannot be fulfilled on %s \"%s\": the object has "
        .. "been modified; please apply your changes to the latest version and try again"):format(resource_group(t.r), t.name) }, 0)
    end
    if op.dry_run == "client" then return self:wrote(t.r, nil, t.name, "scaled") end
    local patch = { spec = { replicas = op.replicas } }
    c:patch(t.r, t.name, patch, write_opts(self, { namespace = t.ns, type = "merge", subresource = "scale" }))
    self:wrote(t.r, nil, t.name, "scaled")
  end)
end

-- A Deployment's revisions from its ReplicaSets, oldest first (lua/rollout.lua).
function Run:deploy_history(o)
  return rollout.history(self.c, "Deployment", o)
end

local function template_equal(a, b)
  local function strip(t)
    local cp = json.decode(json.encode(t or {}))
    local labels = tbl(tbl(cp.metadata).labels)
    labels["pod-template-hash"] = nil
    return jsonpath.go_json(cp)
  end
  return strip(a) == strip(b)
end

function Run:rollout()
  local op = self.op
  local c = self.c
  self:each(self:targets(), function(t)
    local r, name = t.r, t.name
    if r.kind ~= "Deployment" and r.kind ~= "StatefulSet" and r.kind ~= "DaemonSet" then
      error({ code = "Unsupported", message = ('no rollout %s has been implemented for %q'):format(
        op.sub == "status" and "status viewer" or op.sub, resource_group(r)) }, 0)
    end
    local o = c:get(r, name, { namespace = t.ns })
    if op.sub == "status" then
      local done, msg, failed = rollout.status(r.kind, o, op.revision)
      local limit = math.min(op.timeout or WAIT_DEFAULT, WAIT_DEFAULT)
      if op.timeout == 0 then limit = WAIT_DEFAULT end
      local deadline = time.monotonic() + limit
      local last
      while op.watch and not done and not failed do
        if msg ~= last then self:say(msg); last = msg end
        if time.monotonic() >= deadline then
          error({ code = "Timeout", message = "timed out waiting for the condition" }, 0)
        end
        if self.env.ctx then self.env.ctx.progress(tbl(o.status).updatedReplicas or 0, tbl(o.spec).replicas, msg) end
        time.sleep(1)
        o = c:get(r, name, { namespace = t.ns })
        done, msg, failed = rollout.status(r.kind, o, op.revision)
      end
      if failed then error({ code = "RolloutFailed", message = msg }, 0) end
      self:say(msg)
      return
    end
    if op.sub == "restart" then
      if tbl(o.spec).paused then
        error({ code = "Invalid", message = ("can't restart paused %s (run rollout resume first)"):format(r.kind:lower()) }, 0)
      end
      local patch = { spec = { template = { metadata = { annotations = {
        ["kubectl.kubernetes.io/restartedAt"] = time.iso() } } } } }
      c:patch(r, name, patch, write_opts(self, { namespace = t.ns, type = "strategic" }))
      return self:say(ref(r, name) .. " restarted" .. dry_suffix(op))
    end
    if op.sub == "pause" or op.sub == "resume" then
      local want = op.sub == "pause"
      if (tbl(o.spec).paused == true) == want then
        return self:say(ref(r, name) .. " already " .. (want and "paused" or "resumed"))
      end
      c:patch(r, name, { spec = { paused = want and true or null } }, write_opts(self, { namespace = t.ns, type = "merge" }))
      return self:say(ref(r, name) .. " " .. (want and "paused" or "resumed") .. dry_suffix(op))
    end
    if r.kind ~= "Deployment" then
      error({ code = "Unsupported", message = ("rollout %s of a %s needs controllerrevisions; use k8s_rollout"):format(op.sub, r.kind) }, 0)
    end
    local revs = self:deploy_history(o)
    if op.sub == "history" then
      if op.revision then
        for _, h in ipairs(revs) do
          if h.revision == op.revision then
            self:say(("%s with revision #%d"):format(ref(r, name), h.revision))
            self:say("Pod Template:")
            local tpl = yaml.encode(self:shape(h.template))
            self:text((tpl:gsub("([^\n]+)", "  %1")))
            return
          end
        end
        error({ code = "NotFound", message = ("unable to find the specified revision") }, 0)
      end
      self:say(ref(r, name) .. " ")
      local rows = { { "REVISION", "CHANGE-CAUSE" } }
      for _, h in ipairs(revs) do rows[#rows + 1] = { tostring(h.revision), h.cause or "<none>" } end
      self:text(render.columns(rows, { gap = 2, min_width = 0 }))
      self:say("")
      return
    end
    -- undo
    if #revs == 0 then error({ code = "NotFound", message = ('no rollout history found for deployment "%s"'):format(name) }, 0) end
    local target
    if op.to_revision and op.to_revision > 0 then
      for _, h in ipairs(revs) do
        if h.revision == op.to_revision then target = h end
      end
      if not target then
        error({ code = "NotFound", message = ("unable to find specified revision %d in history"):format(op.to_revision) }, 0)
      end
    else
      if #revs < 2 then error({ code = "NotFound", message = ('no rollout history found for deployment "%s"'):format(name) }, 0) end
      target = revs[#revs - 1]
    end
    if template_equal(target.template, tbl(o.spec).template) then
      return self:say(("%s skipped rollback (current template already matches revision %d)"):format(ref(r, name), target.revision))
    end
    local tpl = json.decode(json.encode(target.template))
    local labels = tbl(tbl(tpl.metadata).labels)
    labels["pod-template-hash"] = nil
    c:patch(r, name, json.array({ { op = "replace", path = "/spec/template", value = tpl } }),
      write_opts(self, { namespace = t.ns, type = "json" }))
    self:say(ref(r, name) .. " rolled back" .. dry_suffix(op))
  end)
end

-- label and annotate: merge patches of metadata.labels / metadata.annotations.
function Run:meta_change(field, verb)
  local op = self.op
  local c = self.c
  self:each(self:targets(), function(t)
    local obj = c:get(t.r, t.name, { namespace = t.ns })
    local cur = tbl(tbl(obj.metadata)[field])
    if op.list then
      for _, k in ipairs(sorted_keys(cur)) do
        local v = cur[k]
        if field == "annotations" and not show_secrets() then v = self:redact_text(tostring(v)) end
        self:say(k .. "=" .. tostring(v))
      end
      return
    end
    local change, changed = {}, false
    for _, ch in ipairs(op.changes) do
      local old = cur[ch.key]
      if old ~= nil and old ~= ch.value and not op.overwrite then
        error({ code = "Invalid", message = ("'%s' already has a value (%s), and --overwrite is false"):format(ch.key, tostring(old)) }, 0)
      end
      if old ~= ch.value then changed = true end
      change[ch.key] = ch.value
    end
    for _, k in ipairs(op.removes) do
      if cur[k] == nil then
        self:warn(('%s "%s" not found.'):format(verb == "labeled" and "label" or "annotation", k))
      else
        change[k] = null
        changed = true
      end
    end
    if not changed then return self:say(ref(t.r, t.name) .. " not " .. verb) end
    if op.dry_run == "client" then return self:wrote(t.r, nil, t.name, verb) end
    local patch = { metadata = { [field] = change } }
    if op.resource_version then patch.metadata.resourceVersion = op.resource_version end
    local after = c:patch(t.r, t.name, patch, write_opts(self, { namespace = t.ns, type = "merge" }))
    self:wrote(t.r, after, t.name, verb)
  end)
end

function Run:node_targets()
  local c = self.c
  local r = c:resource("nodes")
  if self.op.selector then
    local out = {}
    for _, n in ipairs(c:list(r, { label_selector = self.op.selector }).items or {}) do out[#out + 1] = n.metadata.name end
    if #out == 0 then self:warn("No resources found") end
    return r, out
  end
  return r, self.op.nodes
end

function Run:cordon(on, quiet)
  local op = self.op
  local c = self.c
  local r, names = self:node_targets()
  for _, name in ipairs(names) do
    local ok, err = pcall(function()
      local node = c:get(r, name)
      local word = on and "cordoned" or "uncordoned"
      if (tbl(node.spec).unschedulable == true) == on then
        return self:say(("node/%s already %s"):format(name, word))
      end
      if op.dry_run ~= "client" then
        c:patch(r, name, { spec = { unschedulable = on and true or null } }, write_opts(self, { type = "merge" }))
      end
      self:say(("node/%s %s%s"):format(name, word, dry_suffix(op)))
    end)
    if not ok then
      self:fail(err)
      if quiet then return false end
    end
  end
  return self.exit == 0
end

-- k8s.io/apimachinery's error aggregate: one error as it is, several as "[a, b]".
local function aggregate(msgs)
  if #msgs == 1 then return msgs[1] end
  return "[" .. table.concat(msgs, ", ") .. "]"
end

-- kubectl's report of a node it could not drain, for errs (messages); the command fails.
function Run:drain_failed(node, errs)
  self.exit = 1
  self:warn(("error: unable to drain node %q due to error: %s, continuing command..."):format(node, aggregate(errs)))
  self:warn("There are pending nodes to be drained:")
  self:warn(" " .. node)
end

-- drain: cordon, then evict (or delete) every pod on the node that may go, as kubectl.
function Run:drain()
  local op = self.op
  local c = self.c
  if not self:cordon(true, true) then return end
  local _, names = self:node_targets()
  local pods_r = c:resource("pods")
  for _, node in ipairs(names) do
    local pods = c:list(pods_r, { all_namespaces = true, field_selector = "spec.nodeName=" .. node,
      label_selector = op.pod_selector }).items or {}
    local go, ds, problems = {}, {}, {}
    local function add_problem(kind, what)
      problems[kind] = problems[kind] or {}
      table.insert(problems[kind], what)
    end
    for _, p in ipairs(pods) do
      local md = tbl(p.metadata)
      local id = md.namespace .. "/" .. md.name
      local phase = tbl(p.status).phase
      local finished = phase == "Succeeded" or phase == "Failed"
      local owner
      for _, o in ipairs(md.ownerReferences or {}) do
        if o.controller then owner = o end
      end
      if tbl(md.annotations)["kubernetes.io/config.mirror"] then
        -- mirror pods belong to the kubelet
      elseif owner and owner.kind == "DaemonSet" then
        if op.ignore_daemonsets then ds[#ds + 1] = id else add_problem("ds", id) end
      else
        local ok_pod = true
        if not owner and not finished and not op.force then add_problem("bare", id); ok_pod = false end
        if not finished then
          for _, v in ipairs(tbl(p.spec).volumes or {}) do
            if v.emptyDir ~= nil and not op.delete_emptydir_data then add_problem("local", id); ok_pod = false; break end
          end
        end
        if ok_pod then go[#go + 1] = p end
      end
    end
    local msgs = {}
    if problems.ds then
      msgs[#msgs + 1] = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): " .. table.concat(problems.ds, ", ")
    end
    if problems.bare then
      msgs[#msgs + 1] = "cannot delete Pods that declare no controller (use --force to override): " .. table.concat(problems.bare, ", ")
    end
    if problems["local"] then
      msgs[#msgs + 1] = "cannot delete Pods with local storage (use --delete-emptydir-data to override): " .. table.concat(problems["local"], ", ")
    end
    if #msgs > 0 then
      self:drain_failed(node, msgs)
      for _, m in ipairs(msgs) do self:warn(m) end
      return
    end
    if #ds > 0 then self:warn("Warning: ignoring DaemonSet-managed Pods: " .. table.concat(ds, ", ")) end
    local limit = math.min(op.timeout and op.timeout > 0 and op.timeout or WAIT_DEFAULT, WAIT_DEFAULT)
    local deadline = time.monotonic() + limit
    local failed = {}
    for _, p in ipairs(go) do
      local md = p.metadata
      local path = c:path(pods_r, md.namespace, md.name, "eviction")
      if not op.disable_eviction then self:say(("evicting pod %s/%s%s"):format(md.namespace, md.name, dry_suffix(op))) end
      local done = false
      while not done do
        local ok, err
        if op.dry_run == "client" then
          ok = true
        elseif op.disable_eviction then
          ok, err = pcall(c.delete, c, pods_r, md.name, write_opts(self, { namespace = md.namespace, grace_period = op.grace_period }))
        else
          local body = { apiVersion = "policy/v1", kind = "Eviction", metadata = { name = md.name, namespace = md.namespace } }
          local del = {}
          if op.grace_period then del.gracePeriodSeconds = op.grace_period end
          if op.dry_run == "server" then del.dryRun = json.array({ "All" }) end
          if next(del) then body.deleteOptions = del end
          ok, err = pcall(c.call, c, { method = "POST", path = path, body = json.encode(body),
            query = op.dry_run == "server" and { dryRun = "All" } or nil })
        end
        if ok or (type(err) == "table" and err.code == "NotFound") then
          -- kubectl reports each pod gone, except in a dry run (nothing goes)
          if not op.dry_run then self:say(("pod/%s %s"):format(md.name, op.disable_eviction and "deleted" or "evicted")) end
          done = true
        elseif type(err) == "table" and err.status == 429 and time.monotonic() + EVICT_RETRY < deadline then
          self:warn(('error when evicting pods/"%s" -n "%s" (will retry after %ds): %s'):format(md.name, md.namespace,
            EVICT_RETRY, tostring(err.message)))
          time.sleep(EVICT_RETRY)
        else
          local why = type(err) == "table" and err.status == 429 and ("global timeout reached: %ds"):format(limit)
            or (type(err) == "table" and tostring(err.message) or tostring(err))
          failed[#failed + 1] = ('error when evicting pods/"%s" -n "%s": %s'):format(md.name, md.namespace, why)
          if type(err) ~= "table" then error(err, 0) end
          done = true
        end
      end
    end
    if #failed > 0 then
      self:drain_failed(node, failed)
      return
    end
    self:say(("node/%s drained%s"):format(node, dry_suffix(op)))
  end
end

function Run:diff()
  local op = self.op
  local c = self.c
  local ok_diff, difflib = pcall(require, "diff")
  if not ok_diff then return self:fail("diff is not available in this build (lua/diff.lua is missing)") end
  local any = false
  self:each(self:manifest_objects(), function(obj)
    local r, ns, name = self:object_ref(obj)
    local live = c:try_get(r, name, { namespace = ns })
    local after = c:apply(obj, { namespace = ns, dry_run = true, force = op.force_conflicts })
    local function text(o)
      if not o then return "" end
      local s = self:shape(o, r.kind)
      local md = tbl(s.metadata)
      md.generation, md.resourceVersion, md.managedFields = nil, nil, nil
      -- rebuilt from sorted JSON so both sides' keys were inserted in the same order and
      -- the encoder walks them the same way: a diff shows changes, not table layouts
      return yaml.encode(json.decode(jsonpath.go_json(s)))
    end
    local a, b = text(live), text(after)
    if a ~= b then
      any = true
      local id = ("%s.%s.%s.%s"):format(r.group ~= "" and r.group or "v1", r.version, r.kind, (ns and ns ~= "") and (ns .. "." .. name) or name)
      self:text(difflib.unified(a, b, { a_label = "LIVE/" .. id, b_label = "MERGED/" .. id }))
    end
  end, conflict_hint)
  if any and self.exit == 0 then self.exit = 1 end
end

return {
  apply = Run.apply, create = Run.create, delete = Run.delete, patch = Run.patch, scale = Run.scale,
  rollout = Run.rollout, diff = Run.diff, drain = Run.drain,
  label = function(self) return self:meta_change("labels", "labeled") end,
  annotate = function(self) return self:meta_change("annotations", "annotated") end,
  cordon = function(self) return self:cordon(true) end,
  uncordon = function(self) return self:cordon(false) end,
}
