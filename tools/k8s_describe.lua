-- tools/k8s_describe.lua: one object explained in one call: a kubectl-describe-like view
-- (for pods: container states, last termination reasons, restarts) plus its events.
local kt = require("k8s_tool")
local describe = require("describe")

return {
  name = "k8s_describe",
  title = "Describe a Kubernetes object",
  description = "Describe one object: its status in readable form (pods: each container's state, last termination reason such as OOMKilled with exit code, restarts, requests/limits; nodes: conditions, capacity, taints; workloads: replicas and conditions) together with its recent events, in one call. Secret values are redacted.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "kind", "name", "namespace", required = { "kind", "name" } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind)
    local obj = c:get(r, args.name, { namespace = args.namespace })
    local md = obj.metadata or {}
    local ok, events = pcall(c.events, c, {
      namespace = r.namespaced and (md.namespace or args.namespace or c.namespace) or "default",
      all_namespaces = not r.namespaced, kind = r.kind, name = md.name, uid = md.uid,
    })
    if not ok then events = {} end
    local shaped, redacted = kt.shape(obj)
    local text = describe.describe(shaped, events, { now = time.now(), yaml_encode = yaml.encode, kind = r.kind })
    local cut, info = kt.cut(text, "use k8s_get for the full object")
    local evs = json.array()
    for i, e in ipairs(events) do
      evs[i] = { type = e.type, reason = e.reason, message = e.message, count = e.count, time = kt.k8s.event_time(e) }
    end
    return kt.result(cut, { object = shaped, events = evs, truncated = info and info.truncated or false }, kt.redaction_note(redacted))
  end,
}
