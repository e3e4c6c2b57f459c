-- tools/scale_nodepool.lua: adds nodes to a node pool (ScaleClusterNodePool). A write: only
-- with --allow-write. count is the number of nodes to ADD (upstream's experiment passed a
-- desired size as count). With wait, follows the task to its end with progress.
local ack = require("ack")

return ack.tool{
  name = "scale_nodepool",
  title = "Add nodes to a node pool",
  description = "Adds count new nodes to a node pool of an ACK cluster (count is how many to ADD, not the target "
    .. "size: to reach a size, subtract the pool's total_nodes from list_cluster_nodepools). Starts an asynchronous "
    .. "task and returns its id; with wait = true, waits for the task to finish (reporting progress) or for "
    .. "timeout_seconds, then returns its final state. The new ECS instances are billed.",
  annotations = { readOnlyHint = false, destructiveHint = false, idempotentHint = false, openWorldHint = true },
  timeout = 3600,
  input = {
    type = "object",
    properties = {
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = { type = "string", pattern = ack.NODEPOOL_ID_PATTERN,
                      description = "The node pool to grow: \"np\" + 32 lowercase letters or digits." },
      count = { type = "integer", minimum = 1, maximum = 500, description = "How many nodes to add, 1 to 500." },
      wait = { type = "boolean", default = false, description = "Wait for the scaling task to finish." },
      timeout_seconds = { type = "integer", minimum = 10, maximum = 3500, default = 600,
                          description = "With wait: how long to wait before returning the task's current state (the task goes on)." },
    },
    required = { "nodepool_id", "count" },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      task_id = { type = "string" }, request_id = { type = "string" }, cluster_id = { type = "string" },
      nodepool_id = { type = "string" }, state = { type = "string" }, task = { type = "object" },
      timed_out = { type = "boolean" }, message = { type = "string" }, error = { type = "object" },
    },
    required = { "task_id" },
  },
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local region = ack.cluster_region(ctx, id)
    local r, meta = ack.cs{ action = "ScaleClusterNodePool", method = "POST", region = region,
                            path = "/clusters/" .. id .. "/nodepools/" .. args.nodepool_id, body = { count = args.count } }
    local out = { task_id = r.task_id, request_id = r.request_id or (meta and meta.request_id),
                  cluster_id = id, nodepool_id = args.nodepool_id }
    if type(out.task_id) ~= "string" then
      ack.fail("UnexpectedResponse", "ScaleClusterNodePool returned no task_id", { api = "ScaleClusterNodePool", request_id = out.request_id })
    end
    if args.wait then
      for k, v in pairs(ack.wait_task(ctx, region, out.task_id, args.timeout_seconds)) do out[k] = v end
    end
    return out
  end,
}
