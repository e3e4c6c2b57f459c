-- tools/query_inspect_report.lua: an ACK cluster inspection report: the latest one
-- (ListClusterInspectReports), or a new run (RunClusterInspect, class J: it reads the cluster
-- and changes nothing) waited for with progress; then every page of its check items
-- (GetClusterInspectReportDetail, nextToken) with the filters applied by the service.
local ack = require("ack")

local MAX_PAGES = 40

local function finished(status) return status == "completed" or status == "failed" end

return ack.tool{
  name = "query_inspect_report",
  title = "ACK cluster inspection report",
  description = "The health inspection report of an ACK cluster: summary counts (error, warning, advice, normal) and "
    .. "check items by category (security, performance, stability, limitation, cost) with level, affected targets, "
    .. "description and how to fix. Reads the latest report; with run_inspection = true runs a new inspection "
    .. "first and waits for it (reporting progress). An inspection only reads: it changes nothing in the cluster. "
    .. "By default only abnormal items are returned (is_result_exception).",
  annotations = { readOnlyHint = false, destructiveHint = false, idempotentHint = false, openWorldHint = true },
  job = true,
  timeout = 3600,
  input = {
    type = "object",
    properties = ack.job_wait_input({
      cluster_id = ack.cluster_id_schema(),
      region_id = { type = "string", minLength = 1, description = "The cluster's region; looked up when not given." },
      is_result_exception = { type = "boolean", default = true, description = "Only abnormal check items." },
      run_inspection = { type = "boolean", default = false, description = "Run a new inspection and wait for its report." },
      category = { type = "string", enum = { "security", "performance", "stability", "limitation", "cost" },
                   description = "Only check items of this category." },
      level = { type = "string", enum = { "advice", "warning", "error", "critical" }, description = "Only check items of this level." },
      target_type = { type = "string", minLength = 1, description = "Only check items on this kind of target, e.g. Node, NodePool, CLB." },
      language = ack.language_schema("report"),
    }, "How long to wait for a running inspection; default --diagnose-timeout (300).",
       "Pause between reads of a running inspection; default --diagnose-poll-interval (10)."),
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      report_id = { type = "string" }, report_status = { type = "string" },
      summary = { type = "object" }, checkItemResults = { type = "array", items = { type = "object" } },
      timed_out = { type = "boolean" }, truncated = { type = "boolean" }, hint = { type = "string" },
    },
    required = { "report_id", "report_status", "checkItemResults" },
  },
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local region = args.region_id or ack.cluster_region(ctx, id)
    local base = "/clusters/" .. id .. "/inspectReports"
    local report_id
    if args.run_inspection then
      -- A client token makes a repeated request (a client retry) the same run, not a second one.
      local token = string.format("ack-mcp-%s-%d", id, math.floor(time.now() * 1000))
      local r = ack.cs{ action = "RunClusterInspect", method = "POST", region = region, path = base,
                        body = { clientToken = token } }
      report_id = r.reportId
      if type(report_id) ~= "string" then
        ack.fail("UnexpectedResponse", "RunClusterInspect returned no reportId", { api = "RunClusterInspect" })
      end
    else
      local r = ack.cs{ action = "ListClusterInspectReports", region = region, path = base, query = { maxResults = 1 } }
      local latest = type(r.reports) == "table" and r.reports[1] or nil
      if not latest then
        ack.fail("NoInspectReport", "cluster " .. id .. " has no inspection report yet; run one with run_inspection = true")
      end
      report_id = latest.reportId
    end

    local function detail(token)
      return ack.cs{ action = "GetClusterInspectReportDetail", region = region, path = base .. "/" .. report_id,
                     query = { language = args.language, enableFilter = args.is_result_exception, category = args.category,
                               level = args.level, targetType = args.target_type, maxResults = 50, nextToken = token } }
    end
    local first, outcome, timeout = ack.wait_job(ctx, args, {
      fetch = function() return detail(nil) end,
      done = function(d) return finished(d.status) end,
      describe = function(d, elapsed)
        return string.format("inspection report %s %s after %d s", report_id, tostring(d.status), math.floor(elapsed))
      end,
    }, "report_id", report_id, string.format(" (inspection report %s; read it again with query_inspect_report)", report_id))

    local items, page, pages, more = {}, first, 1, false
    while true do
      for _, it in ipairs(page.checkItemResults or {}) do items[#items + 1] = it end
      local token = page.nextToken
      if outcome ~= "done" or type(token) ~= "string" or token == "" then break end
      if pages >= MAX_PAGES then more = true; break end
      page = detail(token)
      pages = pages + 1
    end
    local kept, cut = ack.cap(items, ack.list_budget(settings))
    local out = { report_id = report_id, report_status = first.status, report_start_time = first.startTime,
                  report_finish_time = first.endTime, summary = first.summary, checkItemResults = kept }
    if outcome ~= "done" then
      out.timed_out = true
      out.hint = string.format("the inspection was still %s after %g s; call query_inspect_report again later (report %s)",
                               tostring(first.status), timeout, report_id)
    elseif cut or more then
      out.truncated = true
      out.hint = string.format("only %d of the check items fit in the output; filter with category, level or target_type", #kept)
    end
    return out
  end,
}
