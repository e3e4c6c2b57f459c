-- tools/k8s_list.lua: list objects of any kind as a compact table (the API server's own
-- columns, as kubectl shows them), or as YAML/JSON/names. Pages through the API with
-- limit + continue until the output budget is full; a cut result ends at a whole row and
-- carries the exact continue token for the next page.
local kt = require("k8s_tool")
local render = require("render")

local PAGE = 500
local ALIGN = 1.35 -- rendered row width over the sum of its cells (column padding)

local function has_verb(r, verb)
  for _, v in ipairs(r.verbs) do
    if v == verb then return true end
  end
  return false
end

local function name_of(r, md)
  local kind = r.kind:lower() .. (r.group ~= "" and ("." .. r.group) or "")
  return kind .. "/" .. md.name
end

-- Fetches pages until want rows or the budget; returns the rows, the Table of the first
-- page (columns), each row's page token, and the token after the last fetched row.
local function fetch_rows(c, r, args, want, est_row_bytes)
  local rows, tokens, first, token = {}, {}, nil, args["continue"]
  local bytes, remaining = 0, nil
  local budget = kt.budget()
  repeat
    -- Ask for about what the budget can still show, so little is fetched only to be cut:
    -- first from a typical row width, then from the rows seen (cells plus alignment).
    local fit = #rows == 0 and budget // 110 or math.floor((budget * 0.97 - bytes * ALIGN) / (bytes * ALIGN / #rows))
    local page_limit = math.min(PAGE, want - #rows, math.max(10, fit))
    local page_token = token
    local page = c:list(r, {
      namespace = args.namespace, all_namespaces = args.all_namespaces, label_selector = args.label_selector,
      field_selector = args.field_selector, limit = page_limit, ["continue"] = page_token, table = true,
    })
    first = first or page
    for _, row in ipairs(page.rows or {}) do
      rows[#rows + 1] = row
      tokens[#rows] = { token = page_token, index = #rows }
      bytes = bytes + est_row_bytes(row)
    end
    local md = page.metadata or {}
    token = md["continue"] ~= json.null and md["continue"] or nil
    if token == "" then token = nil end
    remaining = md.remainingItemCount ~= json.null and md.remainingItemCount or nil
  until not token or #rows >= want or bytes * ALIGN > budget
  return rows, first, tokens, token, remaining
end

local function row_bytes(row)
  local n = 0
  for _, cell in ipairs(row.cells or {}) do n = n + #tostring(cell) + 3 end
  return n
end

local function table_result(c, r, args)
  local want = args.limit or 100000
  local rows, first, tokens, token, remaining = fetch_rows(c, r, args, want, row_bytes)
  local tbl = { columnDefinitions = first.columnDefinitions or json.array(), rows = rows }
  local text = render.table(tbl, { wide = args.output == "wide", namespace_column = args.all_namespaces and r.namespaced })
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  if #rows == 0 then
    local where = r.namespaced and not args.all_namespaces and (" in namespace " .. (args.namespace or c.namespace)) or ""
    return kt.result(("No %s found%s."):format(r.resource, where), { kind = r.kind, items = json.array(), count = 0 })
  end
  -- Whole rows into the budget; the header always.
  local budget, used, shown = kt.budget() - 300, #lines[1] + 1, 0
  for i = 2, #lines do
    if used + #lines[i] + 1 > budget then break end
    used = used + #lines[i] + 1
    shown = i - 1
  end
  local left_here = #rows - shown
  if left_here > 0 then
    -- Exact continue: list the cut page again, only up to the last row shown.
    local t = tokens[shown + 1]
    local page_start = shown + 1
    while page_start > 1 and tokens[page_start - 1].token == t.token do page_start = page_start - 1 end
    local keep = shown - page_start + 1
    if keep > 0 then
      local again = c:list(r, {
        namespace = args.namespace, all_namespaces = args.all_namespaces, label_selector = args.label_selector,
        field_selector = args.field_selector, limit = keep, ["continue"] = t.token, table = true,
      })
      local md = again.metadata or {}
      token = md["continue"] ~= json.null and md["continue"] or nil
    else
      token = t.token
    end
    remaining = (remaining or 0) + left_here
  end
  local out = table.concat(lines, "\n", 1, shown + 1)
  local cols = {}
  for _, col in ipairs(tbl.columnDefinitions) do cols[#cols + 1] = col.name end
  local items = json.array()
  for i = 1, shown do
    local row = rows[i]
    local md = (row.object or {}).metadata or {}
    items[i] = { name = md.name, namespace = md.namespace, cells = row.cells }
  end
  local note
  if token then
    note = ("(%s more %s; call again with continue=%q%s)"):format(remaining and tostring(remaining) or "some",
      r.resource, token, args.limit and "" or " or narrow with label_selector/field_selector")
  end
  return kt.result(out, {
    kind = r.kind, columns = cols, items = items, count = shown, ["continue"] = token,
    remaining = remaining, truncated = token ~= nil,
  }, note)
end

local function objects_result(c, r, args)
  local list = c:list(r, {
    namespace = args.namespace, all_namespaces = args.all_namespaces, label_selector = args.label_selector,
    field_selector = args.field_selector, limit = args.limit or PAGE, ["continue"] = args["continue"],
  })
  local items, parts, redacted = json.array(), {}, 0
  local budget, used = kt.budget() - 300, 0
  local md = list.metadata or {}
  local token = md["continue"] ~= json.null and md["continue"] or nil
  local all = list.items or {}
  local shown = 0
  for i, obj in ipairs(all) do
    obj.apiVersion = obj.apiVersion or r.api_version
    obj.kind = obj.kind or r.kind
    local piece
    if args.output == "name" then
      piece = name_of(r, obj.metadata)
    else
      local shaped, n = kt.shape(obj)
      redacted = redacted + n
      piece = kt.encode(shaped, args.output)
      obj = shaped
    end
    if used + #piece + 5 > budget then break end
    used = used + #piece + 5
    parts[#parts + 1] = piece
    if args.output ~= "name" then items[#items + 1] = obj end
    shown = i
  end
  local left = #all - shown
  if left > 0 and shown > 0 then
    -- Exact continue token for the first item not shown.
    local again = c:list(r, {
      namespace = args.namespace, all_namespaces = args.all_namespaces, label_selector = args.label_selector,
      field_selector = args.field_selector, limit = shown, ["continue"] = args["continue"],
    })
    local amd = again.metadata or {}
    token = amd["continue"] ~= json.null and amd["continue"] or nil
  end
  local sep = args.output == "yaml" and "\n---\n" or "\n"
  local text = table.concat(parts, sep)
  if #all == 0 then text = ("No %s found."):format(r.resource) end
  local remaining = md.remainingItemCount ~= json.null and md.remainingItemCount or nil
  local notes = {}
  if token then
    notes[#notes + 1] = ("(%s more %s; call again with continue=%q)"):format(
      remaining and tostring(remaining + left) or "more", r.resource, token)
  end
  notes[#notes + 1] = kt.redaction_note(redacted)
  return kt.result(text, { kind = r.kind, items = items, count = shown, ["continue"] = token, truncated = token ~= nil },
    table.concat(notes, "\n"))
end

return {
  name = "k8s_list",
  title = "List Kubernetes objects",
  description = "List objects of any kind (pods, deployments, services, nodes, events, CRDs...) in a namespace or all namespaces, filtered by label and field selectors. Output: a compact table with the columns kubectl shows (wide: more columns), or yaml/json (managedFields dropped, secrets redacted), or names. Long lists stop at a whole row within the output budget and return a continue token for the next page.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "kind", "namespace", "all_namespaces", "label_selector", "field_selector", "limit", "continue", "output",
    required = { "kind" } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind)
    if not has_verb(r, "list") then
      kt.k8s.raise("MethodNotAllowed", ("%s cannot be listed (verbs: %s)"):format(r.resource, table.concat(r.verbs, ", ")))
    end
    if args.output == "table" or args.output == "wide" or args.output == nil then return table_result(c, r, args) end
    return objects_result(c, r, args)
  end,
}
