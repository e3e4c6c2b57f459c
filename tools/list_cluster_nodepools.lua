-- tools/list_cluster_nodepools.lua: node pools of a cluster (DescribeClusterNodePools on the
-- cluster's regional endpoint), or one pool (DescribeClusterNodePoolDetail), flattened, with
-- passwords and user data redacted. The API has no paging: pages are cut here.
local ack = require("ack")

return ack.tool{
  name = "list_cluster_nodepools",
  title = "List node pools of an ACK cluster",
  description = "Node pools of an ACK cluster, or one pool when nodepool_id is given: id, name, type, state, "
    .. "node counts (total, healthy, failed, removing...), desired size, instance types, vSwitches, image, "
    .. "auto scaling, Kubernetes labels and taints, and managed-node settings. Passwords and user data are redacted.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = {
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = ack.nodepool_id_schema("Only this node pool"),
      name = { type = "string", minLength = 1, description = "Only the node pool with exactly this name." },
      page_number = ack.page_number_schema(),
      page_size = ack.page_size_schema("Node pools"),
    },
    additionalProperties = false,
  },
  output = ack.page_output("nodepools"),
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local region = ack.cluster_region(ctx, id)
    local pools
    if args.nodepool_id then
      local np = ack.cs{ action = "DescribeClusterNodePoolDetail", region = region,
                         path = "/clusters/" .. id .. "/nodepools/" .. args.nodepool_id }
      pools = { np }
    else
      local r = ack.cs{ action = "DescribeClusterNodePools", region = region, path = "/clusters/" .. id .. "/nodepools",
                        query = { NodepoolName = args.name } }
      pools = r.nodepools or {}
    end
    local views = {}
    for i, np in ipairs(pools) do views[i] = ack.nodepool_view(np, settings.show_secrets) end
    local page, total = ack.slice(views, args.page_number, args.page_size)
    return ack.page_result("nodepools", page, total, args, settings)
  end,
}
