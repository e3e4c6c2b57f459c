-- tools/k8s_get.lua: one object by kind and name, as YAML by default (managedFields and the
-- last-applied annotation dropped, secrets redacted), or JSON, or its table row.
local kt = require("k8s_tool")
local render = require("render")

return {
  name = "k8s_get",
  title = "Get a Kubernetes object",
  description = "Get one object by kind and name: YAML by default (managedFields dropped, secret values redacted), or json, or its table row (table/wide). Use k8s_describe for its events and a readable status.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "kind", "name", "namespace", "output", required = { "kind", "name" },
    extra = { output = { type = "string", enum = { "yaml", "json", "table", "wide", "name" }, default = "yaml",
      description = "yaml (default), json, table or wide (the kubectl row), or name" } } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind)
    local out = args.output or "yaml"
    if out == "table" or out == "wide" then
      local tbl = c:get(r, args.name, { namespace = args.namespace, table = true })
      local text = render.table(tbl, { wide = out == "wide" })
      return kt.result(text, { kind = r.kind, name = args.name, cells = tbl.rows and tbl.rows[1] and tbl.rows[1].cells })
    end
    local obj = c:get(r, args.name, { namespace = args.namespace })
    if out == "name" then
      return kt.result(r.kind:lower() .. (r.group ~= "" and ("." .. r.group) or "") .. "/" .. obj.metadata.name, { name = obj.metadata.name })
    end
    local shaped, redacted = kt.shape(obj)
    local text, info = kt.cut(kt.encode(shaped, out), "ask for a narrower view, e.g. k8s_describe")
    return kt.result(text, shaped, kt.redaction_note(redacted) or (info and info.truncated and "(output cut to the budget)" or nil))
  end,
}
