-- tools/k8s_api_resources.lua: the resource types the cluster serves (built-in and CRDs),
-- from discovery, with short names, API version, scope, kind and verbs.
local kt = require("k8s_tool")
local render = require("render")

return {
  name = "k8s_api_resources",
  title = "API resources",
  description = "The resource types this cluster serves (built-in and custom): name, short names, API version, namespaced or not, kind, verbs. Use it to find the kind to pass to the other kubernetes tools.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ extra = {
    api_group = { type = "string", description = "Only this API group (\"\" for the core group)" },
    namespaced = { type = "boolean", description = "Only namespaced (true) or cluster-scoped (false) types" },
    verb = { type = "string", description = "Only types that support this verb (e.g. list, create)" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local list = c:api_resources()
    local rows, items = {}, json.array()
    for _, m in ipairs(list) do
      local ok = m.preferred and (args.api_group == nil or m.group == args.api_group)
        and (args.namespaced == nil or m.namespaced == args.namespaced)
      if ok and args.verb then
        ok = false
        for _, v in ipairs(m.verbs) do ok = ok or v == args.verb end
      end
      if ok then
        rows[#rows + 1] = { cells = { m.resource, table.concat(m.short_names, ","), m.api_version, tostring(m.namespaced), m.kind,
          table.concat(m.verbs, ",") } }
        items[#items + 1] = { name = m.resource, short_names = m.short_names, api_version = m.api_version, namespaced = m.namespaced,
          kind = m.kind, verbs = m.verbs }
      end
    end
    table.sort(rows, function(a, b) return a.cells[3] .. a.cells[1] < b.cells[3] .. b.cells[1] end)
    local cols = { { name = "NAME" }, { name = "SHORTNAMES" }, { name = "APIVERSION" }, { name = "NAMESPACED" }, { name = "KIND" }, { name = "VERBS" } }
    local text, info = kt.cut(render.table({ columnDefinitions = cols, rows = rows }, {}), "filter with api_group, namespaced or verb")
    return kt.result(text, { resources = items, count = #items, truncated = info and info.truncated or false })
  end,
}
