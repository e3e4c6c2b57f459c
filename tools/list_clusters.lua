-- tools/list_clusters.lua: ACK clusters of the account (DescribeClustersV1, global endpoint),
-- one page or all of them, filtered by region, name, type and state.
local ack = require("ack")

return ack.tool{
  name = "list_clusters",
  title = "List ACK clusters",
  description = "Lists the ACK (Alibaba Cloud Container Service for Kubernetes) clusters of the account, "
    .. "in all regions, newest first: id, name, state, region, type, spec, profile, Kubernetes version, VPC, "
    .. "tags and API server endpoints. Filter by region_id, name (substring), cluster_type or state; page "
    .. "with page_num and page_size, or set all_pages to get every matching cluster at once.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = {
    type = "object",
    properties = {
      page_size = ack.page_size_schema("Clusters"),
      page_num = ack.page_number_schema(),
      all_pages = { type = "boolean", default = false,
                    description = "Return every matching cluster instead of one page (page_num and page_size are then ignored)." },
      region_id = { type = "string", minLength = 1, description = "Only clusters in this region, e.g. cn-hangzhou." },
      name = { type = "string", minLength = 1, description = "Only clusters whose name contains this text." },
      cluster_type = { type = "string", minLength = 1,
                       description = "Only clusters of this type: ManagedKubernetes, Kubernetes, ExternalKubernetes or Ask." },
      state = { type = "string", minLength = 1,
                description = "Only clusters in this state, e.g. running, updating, scaling, failed, stopped." },
      refresh = { type = "boolean", default = false,
                  description = "Ask the API now instead of using a list fetched in the last --cache-ttl seconds." },
    },
    additionalProperties = false,
  },
  output = ack.page_output("clusters", {
    hint = { type = "string" },
    cached_seconds_ago = { type = "integer", description = "Present when the list came from the cache" },
  }),
  handler = function(args, ctx)
    local who = ack.identity(ctx)
    local started = time.now()
    local oldest -- fetch time of the oldest cached page used
    -- One page, cached per caller and query for --cache-ttl (refresh: true asks anew);
    -- concurrent calls for the same page share one request.
    local function fetch(page, size)
      local key = "cs-clusters:" .. table.concat({ who, page, size, args.region_id or "", args.name or "", args.cluster_type or "" }, "|")
      if args.refresh then cache.delete(key) end
      local v = cache.fetch(key, settings.cache_ttl, function()
        local r = ack.cs{ action = "DescribeClustersV1", path = "/api/v1/clusters", global = true,
                          query = { page_number = page, page_size = size, region_id = args.region_id,
                                    name = args.name, cluster_type = args.cluster_type } }
        local info = type(r.page_info) == "table" and r.page_info or {}
        return { clusters = r.clusters or {}, total = math.tointeger(tonumber(info.total_count)), at = time.now() }
      end)
      oldest = math.min(oldest or v.at, v.at)
      return v.clusters, v.total
    end
    local found, total, page_number, page_size
    if args.all_pages or args.state then
      -- The API has no state filter: read every page, then filter (and page) here.
      local all = ack.all_pages(function(p) return fetch(p, 100) end, 100, 100)
      found = {}
      for _, c in ipairs(all) do
        if not args.state or c.state == args.state then found[#found + 1] = c end
      end
      if args.all_pages then
        page_number, page_size, total = 1, #found, #found
      else
        page_number, page_size = args.page_num, args.page_size
        found, total = ack.slice(found, page_number, page_size)
      end
    else
      page_number, page_size = args.page_num, args.page_size
      found, total = fetch(page_number, page_size)
      total = total or #found
    end
    -- Each cluster's region comes with the list: remember it for the tools that need it.
    local views = {}
    for i, c in ipairs(found) do
      if type(c.cluster_id) == "string" and type(c.region_id) == "string" then
        cache.set("cs:region:" .. c.cluster_id .. ":" .. who, c.region_id)
      end
      views[i] = ack.cluster_view(c)
    end
    local clusters, cut = ack.cap(views, ack.list_budget(settings))
    local out = { clusters = clusters, page_number = page_number, page_size = page_size, total_count = total }
    if oldest and oldest < started then out.cached_seconds_ago = math.floor(started - oldest) end
    if cut then
      out.truncated = true
      out.hint = string.format("only %d of %d clusters fit in the output; narrow with region_id, name or state, or page with page_num/page_size",
                               #clusters, #views)
    end
    return out
  end,
}
