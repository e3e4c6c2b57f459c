-- tools/get_cluster_diagnosis_check_items.lua: the individual checks of a diagnosis
-- (GetClusterDiagnosisCheckItems).
local ack = require("ack")

return ack.tool{
  name = "get_cluster_diagnosis_check_items",
  title = "Read the checks of an ACK diagnosis",
  description = "The individual checks a completed diagnosis ran: name, group, description, value, level "
    .. "(normal, warning, error...), message and a reference link, to see exactly what was found abnormal. "
    .. "Empty while the diagnosis is still running.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = ack.diagnosis_read_input(),
  output = {
    type = "object",
    properties = { check_items = { type = "array", items = { type = "object" } }, is_success = { type = "boolean" },
                   code = { type = "string" }, request_id = { type = "string" }, truncated = { type = "boolean" } },
    required = { "check_items" },
  },
  handler = function(args)
    local id = ack.cluster_arg(args, settings)
    local r, meta = ack.cs{ action = "GetClusterDiagnosisCheckItems", global = true,
                            path = "/clusters/" .. id .. "/diagnosis/" .. args.diagnosis_id .. "/check_items",
                            query = { language = args.language } }
    local items, cut = ack.cap(r.check_items or {}, ack.list_budget(settings))
    return { check_items = items, is_success = r.is_success, code = r.code ~= nil and tostring(r.code) or nil,
             request_id = ack.request_id(r, meta), truncated = cut or nil }
  end,
}
