-- tools/describe_task_info.lua: one asynchronous CS task (DescribeTaskInfo): state, stages,
-- events, per-instance results and error.
local ack = require("ack")

return ack.tool{
  name = "describe_task_info",
  title = "Describe an ACK task",
  description = "Details of one asynchronous ACK task, such as the task id scale_nodepool or remove_nodepool_nodes "
    .. "returned: type, state (running, success, failed, canceled...), current stage, stages with their times and "
    .. "messages, events, per-instance results and the error of a failed task. Give cluster_id (or region_id) "
    .. "so the request goes to the task's region.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = {
      task_id = { type = "string", pattern = ack.JOB_ID_PATTERN, description = "The task id, e.g. T-5faa48fb31b6b8078d000006." },
      cluster_id = ack.cluster_id_schema("The cluster the task belongs to (for its region)"),
      region_id = { type = "string", minLength = 1, description = "The task's region, if cluster_id is not given; default --region." },
    },
    required = { "task_id" },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = { task_id = { type = "string" }, state = { type = "string" } },
    required = { "task_id", "state" },
  },
  handler = function(args, ctx)
    local region = args.region_id
    local id = args.cluster_id or settings.default_cluster_id
    if not region and id then region = ack.cluster_region(ctx, ack.check_id("cluster_id", id)) end
    local t = ack.cs{ action = "DescribeTaskInfo", path = "/tasks/" .. args.task_id, region = region }
    t.state = ack.task_state(t.state)
    return t
  end,
}
