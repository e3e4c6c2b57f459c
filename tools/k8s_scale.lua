-- tools/k8s_scale.lua: set the replica count of a workload through its scale subresource.
local kt = require("k8s_tool")

return {
  name = "k8s_scale",
  title = "Scale a workload",
  description = "Set the number of replicas of a Deployment, StatefulSet, ReplicaSet (or any kind with a scale subresource). Returns the count before and after. dry_run: true checks it without changing anything.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "kind", "name", "namespace", "dry_run", required = { "name", "replicas" }, extra = {
    kind = { type = "string", minLength = 1, default = "deployment", description = "Workload kind (default deployment)" },
    replicas = { type = "integer", minimum = 0, maximum = 100000, description = "Desired number of replicas" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind or "deployment")
    local before = c:get(r, args.name, { namespace = args.namespace })
    local was = before.spec and before.spec.replicas
    local after = c:patch(r, args.name, { spec = { replicas = args.replicas } },
      { namespace = args.namespace, type = "merge", subresource = "scale", dry_run = args.dry_run })
    local ref = kt.ref(r, args.name)
    return kt.result(("%s scaled from %s to %d replicas%s"):format(ref, tostring(was), args.replicas, args.dry_run and " (server dry run)" or ""),
      { ref = ref, previous = was, replicas = after.spec and after.spec.replicas or args.replicas, dry_run = args.dry_run or false })
  end,
}
