-- tools/remove_nodepool_nodes.lua: removes nodes from a node pool (RemoveNodePoolNodes). A
-- destructive write: only with --allow-write, hidden by --disable-destructive; whether pods
-- are drained and instances released is always stated by the caller, never defaulted.
local ack = require("ack")

return ack.tool{
  name = "remove_nodepool_nodes",
  title = "Remove nodes from a node pool",
  description = "Removes worker nodes (by ECS instance id) from a node pool of an ACK cluster and lowers the pool's "
    .. "desired size. drain_node = true first evicts their pods; release_node = true also releases (deletes) "
    .. "pay-as-you-go ECS instances, which cannot be undone (subscription instances are never released). "
    .. "Starts an asynchronous task and returns its id; with wait = true, waits for it to finish with progress.",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = false, openWorldHint = true },
  timeout = 3600,
  input = {
    type = "object",
    properties = ack.task_wait_input({
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = ack.nodepool_id_schema("The node pool the nodes belong to"),
      instance_ids = { type = "array", minItems = 1, maxItems = 100, uniqueItems = true,
                       items = { type = "string", pattern = ack.INSTANCE_ID_PATTERN },
                       description = "ECS instance ids of the nodes to remove (list_cluster_nodes shows them), 1 to 100." },
      drain_node = { type = "boolean", description = "Evict the nodes' pods before removing them (true is the safe choice)." },
      release_node = { type = "boolean",
                       description = "Also release (delete) the pay-as-you-go ECS instances; false keeps them out of the cluster but running." },
      concurrency = { type = "boolean", default = false, description = "Remove the nodes in parallel instead of one by one." },
    }, "removal"),
    required = { "nodepool_id", "instance_ids", "drain_node", "release_node" },
    additionalProperties = false,
  },
  output = ack.task_output(),
  handler = function(args, ctx)
    return ack.nodepool_task(ctx, args, {
      action = "RemoveNodePoolNodes", method = "DELETE", path = "/nodes",
      query = { instance_ids = json.array(args.instance_ids), drain_node = args.drain_node,
                release_node = args.release_node, concurrency = args.concurrency },
    })
  end,
}
