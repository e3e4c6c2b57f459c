-- tools/k8s_rollout.lua: rollouts of Deployments, StatefulSets and DaemonSets: status (with
-- an optional wait, reporting progress), restart, history, and undo to a revision.
local kt = require("k8s_tool")
local render = require("render")
local rollout = require("rollout")

local KINDS = { deployment = "deployments.apps", statefulset = "statefulsets.apps", daemonset = "daemonsets.apps" }

return {
  name = "k8s_rollout",
  title = "Manage a rollout",
  description = "Rollouts of a Deployment, StatefulSet or DaemonSet. status: whether it finished (wait: true polls until it does or timeout_seconds, with progress); restart: restart all pods (new rollout); history: revisions with their change cause; undo: roll back to the previous revision or to_revision. restart and undo change the cluster.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = false, openWorldHint = true },
  input = kt.schema({ "name", "namespace", "dry_run", required = { "action", "name" }, extra = {
    action = { type = "string", enum = { "status", "restart", "history", "undo" }, description = "What to do" },
    kind = { type = "string", enum = { "deployment", "statefulset", "daemonset" }, default = "deployment", description = "Workload kind" },
    to_revision = { type = "integer", minimum = 1, description = "undo: the revision to go back to (default: the previous one)" },
    wait = { type = "boolean", default = false, description = "status: wait until the rollout finishes" },
    timeout_seconds = { type = "integer", minimum = 1, maximum = 3600, default = 300, description = "status with wait: give up after this long" },
  } }),
  handler = function(args, ctx)
    local c = kt.client(args)
    local kind = args.kind or "deployment"
    local r = c:resource(KINDS[kind])
    local o = c:get(r, args.name, { namespace = args.namespace })
    local ref = kt.ref(r, args.name)
    if args.action == "status" then
      local done, msg, failed = rollout.status(r.kind, o)
      local deadline = time.monotonic() + (args.timeout_seconds or 300)
      while args.wait and not done and not failed and time.monotonic() < deadline do
        ctx.progress(o.status and o.status.updatedReplicas or 0, o.spec and o.spec.replicas or nil, msg)
        time.sleep(1)
        o = c:get(r, args.name, { namespace = args.namespace })
        done, msg, failed = rollout.status(r.kind, o)
      end
      if args.wait and not done and not failed then msg = msg .. (" (still not done after %ds)"):format(args.timeout_seconds or 300) end
      return kt.result(msg, { ref = ref, done = done, failed = failed or false, message = msg, status = o.status })
    elseif args.action == "restart" then
      local now = time.iso()
      local after = c:patch(r, args.name, { spec = { template = { metadata = { annotations = { ["kubectl.kubernetes.io/restartedAt"] = now } } } } },
        { namespace = args.namespace, type = "strategic", dry_run = args.dry_run })
      return kt.result(ref .. " restarted" .. (args.dry_run and " (server dry run)" or ""),
        { ref = ref, restarted_at = now, generation = after.metadata and after.metadata.generation, dry_run = args.dry_run or false })
    end
    local revs = rollout.history(c, r.kind, o)
    if args.action == "history" then
      local rows, items = {}, json.array()
      for i, h in ipairs(revs) do
        rows[i] = { cells = { tostring(h.revision), h.cause or "<none>" } }
        items[i] = { revision = h.revision, change_cause = h.cause, name = h.name }
      end
      local text = ref .. "\n" .. render.table({ columnDefinitions = { { name = "REVISION" }, { name = "CHANGE-CAUSE" } }, rows = rows }, {})
      return kt.result(kt.cut(text), { ref = ref, revisions = items })
    end
    -- undo
    if #revs < 2 and not args.to_revision then kt.k8s.raise("NotFound", ref .. " has no previous revision to roll back to", 404) end
    local target
    if args.to_revision then
      for _, h in ipairs(revs) do
        if h.revision == args.to_revision then target = h end
      end
      if not target then kt.k8s.raise("NotFound", ("%s has no revision %d"):format(ref, args.to_revision), 404) end
    else
      target = revs[#revs - 1]
    end
    local after
    if kind == "deployment" then
      local tpl = target.template
      if tpl.metadata and tpl.metadata.labels then tpl.metadata.labels["pod-template-hash"] = nil end
      after = c:patch(r, args.name, { { op = "replace", path = "/spec/template", value = tpl } },
        { namespace = args.namespace, type = "json", dry_run = args.dry_run })
    else
      after = c:patch(r, args.name, target.data, { namespace = args.namespace, type = "strategic", dry_run = args.dry_run })
    end
    local d = kt.diff(o, after)
    return kt.result(kt.cut(("%s rolled back to revision %d%s\n\n%s"):format(ref, target.revision, args.dry_run and " (server dry run)" or "", d)),
      { ref = ref, revision = target.revision, diff = d, dry_run = args.dry_run or false })
  end,
}
