-- tools/k8s_events.lua: events of a namespace, all namespaces, or one object, filtered by
-- type and sorted by time (newest last, as kubectl shows them), newest kept in the budget.
local kt = require("k8s_tool")
local render = require("render")
local redact = require("redact")

return {
  name = "k8s_events",
  title = "Kubernetes events",
  description = "Events in a namespace, in all namespaces, or about one object (kind + name), optionally only Warning or Normal, sorted by time with the newest last. The newest events are kept within the output budget.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "namespace", "all_namespaces", "field_selector", "limit", extra = {
    kind = { type = "string", minLength = 1, description = "Only events about objects of this kind (e.g. Pod, Deployment, Node)" },
    name = { type = "string", minLength = 1, description = "Only events about the object with this name" },
    type = { type = "string", enum = { "Normal", "Warning" }, description = "Only events of this type" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local kind = args.kind
    if kind then
      local ok, r = pcall(c.resource, c, kind)
      if ok then kind = r.kind end -- "po" -> Pod: involvedObject.kind is the Kind
    end
    local events = c:events({
      namespace = args.namespace, all_namespaces = args.all_namespaces, kind = kind, name = args.name,
      type = args.type, field_selector = args.field_selector,
    })
    if args.limit and #events > args.limit then events = table.move(events, #events - args.limit + 1, #events, 1, {}) end
    local now = time.now()
    local cols = { { name = "LAST SEEN" }, { name = "TYPE" }, { name = "REASON" }, { name = "OBJECT" }, { name = "MESSAGE" } }
    if args.all_namespaces then table.insert(cols, 1, { name = "NAMESPACE" }) end
    local rows, items = {}, json.array()
    for _, e in ipairs(events) do
      local io = e.involvedObject or e.regarding or {}
      local msg = (e.message ~= json.null and e.message or e.note) or ""
      msg = msg:gsub("\n", " ")
      if not settings.show_secrets then msg = redact.text(msg) end
      local count = e.count ~= json.null and e.count or nil
      local cells = { render.since(kt.k8s.event_time(e), now), e.type or "", e.reason or "",
        (io.kind or "?"):lower() .. "/" .. (io.name or "?"), msg .. ((count and count > 1) and (" (x" .. count .. ")") or "") }
      if args.all_namespaces then table.insert(cells, 1, e.metadata.namespace or "") end
      rows[#rows + 1] = { cells = cells }
      items[#items + 1] = { namespace = e.metadata.namespace, type = e.type, reason = e.reason, message = msg, count = count,
        object = { kind = io.kind, name = io.name, namespace = io.namespace }, time = kt.k8s.event_time(e) }
    end
    if #rows == 0 then return kt.result("No events found.", { events = items, count = 0 }) end
    -- Newest rows are the last ones: drop from the front until the table fits.
    local text = render.table({ columnDefinitions = cols, rows = rows }, {})
    local budget, dropped = kt.budget() - 200, 0
    while #text > budget and #rows > 1 do
      local cut = math.max(1, math.floor(#rows * (1 - budget / #text)))
      rows = table.move(rows, cut + 1, #rows, 1, {})
      for _ = 1, cut do table.remove(items, 1) end
      dropped = dropped + cut
      text = render.table({ columnDefinitions = cols, rows = rows }, {})
    end
    return kt.result(text, { events = items, count = #items, omitted = dropped, truncated = dropped > 0 },
      dropped > 0 and ("(%d older events not shown; filter by kind/name or type)"):format(dropped) or nil)
  end,
}
