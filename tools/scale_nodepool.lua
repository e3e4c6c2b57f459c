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
    properties = ack.task_wait_input({
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = ack.nodepool_id_schema("The node pool to grow"),
      count = { type = "integer", minimum = 1, maximum = 500, description = "How many nodes to add, 1 to 500." },
    }, "scaling"),
    required = { "nodepool_id", "count" },
    additionalProperties = false,
  },
  output = ack.task_output(),
  handler = function(args, ctx)
    return ack.nodepool_task(ctx, args, { action = "ScaleClusterNodePool", method = "POST", body = { count = args.count } })
  end,
}
