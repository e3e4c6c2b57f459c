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
    properties = {
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = { type = "string", pattern = ack.NODEPOOL_ID_PATTERN,
                      description = "The node pool the nodes belong to: \"np\" + 32 lowercase letters or digits." },
      instance_ids = { type = "array", minItems = 1, maxItems = 100, uniqueItems = true,
                       items = { type = "string", pattern = ack.INSTANCE_ID_PATTERN },
                       description = "ECS instance ids of the nodes to remove (list_cluster_nodes shows them), 1 to 100." },
      drain_node = { type = "boolean", description = "Evict the nodes' pods before removing them (true is the safe choice)." },
      release_node = { type = "boolean",
                       description = "Also release (delete) the pay-as-you-go ECS instances; false keeps them out of the cluster but running." },
      concurrency = { type = "boolean", default = false, description = "Remove the nodes in parallel instead of one by one." },
      wait = { type = "boolean", default = false, description = "Wait for the removal task to finish." },
      timeout_seconds = { type = "integer", minimum = 10, maximum = 3500, default = 600,
                          description = "With wait: how long to wait before returning the task's current state (the task goes on)." },
    },
    required = { "nodepool_id", "instance_ids", "drain_node", "release_node" },
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
    local r, meta = ack.cs{ action = "RemoveNodePoolNodes", method = "DELETE", region = region,
                            path = "/clusters/" .. id .. "/nodepools/" .. args.nodepool_id .. "/nodes",
                            query = { instance_ids = json.array(args.instance_ids), drain_node = args.drain_node,
                                      release_node = args.release_node, concurrency = args.concurrency } }
    local out = { task_id = r.task_id, request_id = r.request_id or (meta and meta.request_id),
                  cluster_id = id, nodepool_id = args.nodepool_id }
    if type(out.task_id) ~= "string" then
      ack.fail("UnexpectedResponse", "RemoveNodePoolNodes returned no task_id", { api = "RemoveNodePoolNodes", request_id = out.request_id })
    end
    if args.wait then
      for k, v in pairs(ack.wait_task(ctx, region, out.task_id, args.timeout_seconds)) do out[k] = v end
    end
    return out
  end,
}
