-- tools/list_cluster_tasks.lua: recent tasks of an ACK cluster (DescribeClusterTasks, newest
-- first). The service documents only paging, so the time window (default: the last 30
-- minutes), state, type, node pool and instance filters are applied here over the pages that
-- reach back to the window's start.
local ack = require("ack")

local MAX_PAGES = 20

return ack.tool{
  name = "list_cluster_tasks",
  title = "List tasks of an ACK cluster",
  description = "Recent asynchronous tasks of an ACK cluster (scaling, node removal, upgrades, add-on installs...), "
    .. "newest first: task id, type, state (running, success, failed, canceled...), target, created and updated "
    .. "times, and the error of a failed task. By default the last 30 minutes; set start_time (RFC 3339, unix "
    .. "seconds, or relative like 2h or 1d) to look further back. Follow one task with describe_task_info.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = {
      cluster_id = ack.cluster_id_schema(),
      nodepool_id = { type = "string", pattern = ack.NODEPOOL_ID_PATTERN, description = "Only tasks on this node pool." },
      instance_id = { type = "string", pattern = ack.INSTANCE_ID_PATTERN,
                      description = "Only tasks whose target or parameters name this ECS instance (or its node)." },
      state = { type = "string", enum = { "running", "pausing", "paused", "resuming", "cancelling", "canceled", "success", "failed" },
                description = "Only tasks in this state." },
      task_type = { type = "string", minLength = 1,
                    description = "Only tasks of this type, e.g. nodepool_scaleout, nodepool_node_remove, nodepool_upgrade, cluster_addon_install." },
      start_time = { type = "string", default = "30m",
                     description = "Oldest creation time to include: RFC 3339, unix seconds, or relative (30m, 2h, 1d). Default 30m." },
      end_time = { type = "string", description = "Newest creation time to include (same forms); default now." },
      page_number = ack.page_number_schema("Page of the matching tasks, from 1."),
      page_size = ack.page_size_schema("Tasks"),
    },
    additionalProperties = false,
  },
  output = ack.page_output("tasks", { start_time = { type = "string" }, end_time = { type = "string" } }),
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local now = time.now()
    local from, why = ack.parse_time(args.start_time, now, time.parse)
    if not from then ack.fail("InvalidParameter", "start_time: " .. why) end
    local to = now
    if args.end_time then
      to, why = ack.parse_time(args.end_time, now, time.parse)
      if not to then ack.fail("InvalidParameter", "end_time: " .. why) end
    end
    if to < from then ack.fail("InvalidParameter", "end_time is before start_time") end
    local region = ack.cluster_region(ctx, id)

    -- Pages are newest first: stop at the first page that reaches past the window's start.
    local tasks, more = {}, false
    for page = 1, MAX_PAGES do
      local r = ack.cs{ action = "DescribeClusterTasks", region = region, path = "/clusters/" .. id .. "/tasks",
                        query = { page_number = page, page_size = 100 } }
      local list = r.tasks or {}
      local older = false
      for _, t in ipairs(list) do
        tasks[#tasks + 1] = t
        local created = type(t.created) == "string" and time.parse(t.created)
        if created and created < from then older = true end
      end
      local info = type(r.page_info) == "table" and r.page_info or {}
      local total = tonumber(info.total_count)
      if older or #list < 100 or (total and page * 100 >= total) then break end
      more = page == MAX_PAGES
    end

    -- An instance is named by id, or by its node name, in a task's target or parameters.
    local names
    if args.instance_id then
      names = { args.instance_id }
      local r = ack.cs{ action = "DescribeClusterNodes", region = region, path = "/clusters/" .. id .. "/nodes",
                        query = { instanceIds = args.instance_id, pageSize = "1" } }
      local node = (r.nodes or {})[1]
      if node and type(node.node_name) == "string" then names[2] = node.node_name end
    end
    local function names_instance(t)
      local text = json.encode({ t.target, t.parameters })
      for _, n in ipairs(names) do
        if text:find('"' .. n .. '"', 1, true) then return true end
      end
      return false
    end

    local matched = {}
    for _, t in ipairs(tasks) do
      local created = type(t.created) == "string" and time.parse(t.created) or nil
      local target = type(t.target) == "table" and t.target or {}
      if created and created >= from and created <= to
        and (not args.state or ack.task_state(t.state) == args.state)
        and (not args.task_type or t.task_type == args.task_type)
        and (not args.nodepool_id or target.id == args.nodepool_id)
        and (not names or names_instance(t)) then
        matched[#matched + 1] = ack.task_view(t)
      end
    end
    local page, total = ack.slice(matched, args.page_number, args.page_size)
    local out = ack.page_result("tasks", page, total, args, settings, more)
    out.start_time, out.end_time = time.iso(math.floor(from)), time.iso(math.floor(to))
    return out
  end,
}
