-- tools/k8s_delete.lua: delete one object, with the propagation policy and grace period
-- explicit; dry_run asks the API server to check the deletion without doing it.
local kt = require("k8s_tool")

return {
  name = "k8s_delete",
  title = "Delete a Kubernetes object",
  description = "Delete one object by kind and name. propagation decides what happens to what it owns (Background: default, Foreground: wait for dependents, Orphan: keep them). dry_run: true checks the deletion with the API server without deleting.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "kind", "name", "namespace", "dry_run", required = { "kind", "name" }, extra = {
    propagation = { type = "string", enum = { "Background", "Foreground", "Orphan" }, description = "What happens to dependents (default Background)" },
    grace_period = { type = "integer", minimum = 0, maximum = 86400, description = "Seconds pods get to stop (0 with care: immediate)" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind)
    local live = c:get(r, args.name, { namespace = args.namespace })
    c:delete(r, args.name, { namespace = args.namespace, propagation = args.propagation, grace_period = args.grace_period, dry_run = args.dry_run })
    local ref = kt.ref(r, args.name)
    local md = live.metadata or {}
    return kt.result(ref .. " deleted" .. (args.dry_run and " (server dry run)" or ""), {
      ref = ref, namespace = md.namespace, uid = md.uid, dry_run = args.dry_run or false,
    })
  end,
}
