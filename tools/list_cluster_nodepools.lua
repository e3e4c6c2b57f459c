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
      nodepool_id = { type = "string", pattern = ack.NODEPOOL_ID_PATTERN,
                      description = "Only this node pool: \"np\" + 32 lowercase letters or digits." },
      name = { type = "string", minLength = 1, description = "Only the node pool with exactly this name." },
      page_number = { type = "integer", minimum = 1, default = 1, description = "Page to return, from 1." },
      page_size = { type = "integer", minimum = 1, maximum = 100, default = 10, description = "Node pools per page, 1 to 100." },
    },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      nodepools = { type = "array", items = { type = "object" } },
      page_number = { type = "integer" },
      page_size = { type = "integer" },
      total_count = { type = "integer" },
      truncated = { type = "boolean" },
    },
    required = { "nodepools", "page_number", "page_size", "total_count" },
  },
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
    local kept, cut = ack.cap(page, ack.list_budget(settings))
    return { nodepools = kept, page_number = args.page_number, page_size = args.page_size, total_count = total,
             truncated = cut or nil }
  end,
}
