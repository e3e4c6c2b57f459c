-- tools/describe_cluster.lua: one ACK cluster's details (DescribeClusterDetail).
local ack = require("ack")

return ack.tool{
  name = "describe_cluster",
  title = "Describe an ACK cluster",
  description = "Details of one ACK cluster: name, state, region, type, spec, profile, Kubernetes version, "
    .. "VPC and vSwitches, security group, CIDRs, proxy mode, tags, creation time and API server endpoints "
    .. "(public and intranet).",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = { cluster_id = ack.cluster_id_schema("The cluster to describe") },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      cluster_id = { type = "string" },
      name = { type = "string" },
      region_id = { type = "string" },
      api_server_endpoints = { type = "object" },
    },
    required = { "cluster_id", "api_server_endpoints" },
  },
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local d = ack.cluster_detail(ctx, id)
    return ack.cluster_view(d)
  end,
}
