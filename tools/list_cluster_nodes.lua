-- tools/list_cluster_nodes.lua: nodes of an ACK cluster (DescribeClusterNodes on the cluster's
-- regional endpoint). The API filters by pool, state and instance ids; node names are
-- matched here, over every page.
local ack = require("ack")

return ack.tool{
  name = "list_cluster_nodes",
  title = "List nodes of an ACK cluster",
  description = "Nodes (ECS instances) of an ACK cluster: instance id, node name, node status (Ready, NotReady...), "
    .. "state, IP addresses, node pool, instance type, role, charge type, creation time and any error message. "
    .. "Filter by node pool, state, instance ids or node names.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = {
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = ack.nodepool_id_schema("Only nodes of this node pool"),
      instance_ids = { type = "array", maxItems = 100, default = json.array(),
                       items = { type = "string", pattern = ack.INSTANCE_ID_PATTERN },
                       description = "Only these ECS instances (ids like i-bp1...)." },
      node_names = { type = "array", maxItems = 100, default = json.array(), items = { type = "string", minLength = 1 },
                     description = "Only these Kubernetes node names (like cn-hangzhou.192.168.0.5)." },
      state = { type = "string", enum = { "all", "running", "removing", "initial", "failed" }, default = "all",
                description = "Only nodes in this state." },
      page_number = ack.page_number_schema(),
      page_size = ack.page_size_schema("Nodes"),
    },
    additionalProperties = false,
  },
  output = ack.page_output("nodes"),
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local region = ack.cluster_region(ctx, id)
    local function fetch(page, size)
      local r = ack.cs{ action = "DescribeClusterNodes", region = region, path = "/clusters/" .. id .. "/nodes",
                        query = { nodepool_id = args.nodepool_id, state = args.state,
                                  pageNumber = tostring(page), pageSize = tostring(size),
                                  instanceIds = #args.instance_ids > 0 and table.concat(args.instance_ids, ",") or nil } }
      local info = type(r.page) == "table" and r.page or {}
      return r.nodes or {}, math.tointeger(tonumber(info.total_count))
    end
    local nodes, total
    if #args.node_names > 0 then
      local wanted = {}
      for _, n in ipairs(args.node_names) do wanted[n] = true end
      local matched = {}
      for _, n in ipairs((ack.all_pages(function(p) return fetch(p, 100) end, 100, 100))) do
        if wanted[n.node_name] then matched[#matched + 1] = n end
      end
      nodes, total = ack.slice(matched, args.page_number, args.page_size)
    else
      nodes, total = fetch(args.page_number, args.page_size)
      total = total or #nodes
    end
    return ack.page_result("nodes", nodes, total, args, settings)
  end,
}
