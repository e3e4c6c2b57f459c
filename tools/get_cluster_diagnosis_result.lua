-- tools/get_cluster_diagnosis_result.lua: one read of a diagnosis (GetClusterDiagnosisResult),
-- with its status and code integers named and its JSON-text fields parsed.
local ack = require("ack")

return ack.tool{
  name = "get_cluster_diagnosis_result",
  title = "Read an ACK diagnosis result",
  description = "Reads a diagnosis started by create_cluster_diagnosis or diagnose_resource once: status "
    .. "(created, running, completed), code once completed (success or failed), the result with its findings, "
    .. "the message, the diagnosed target, and the start and finish times. Per-check detail: "
    .. "get_cluster_diagnosis_check_items.",
  annotations = { readOnlyHint = true, openWorldHint = true },
  input = ack.diagnosis_read_input(),
  output = {
    type = "object",
    properties = { diagnosis_id = { type = "string" }, status = { type = "string" }, code = { type = "string" } },
    required = { "diagnosis_id", "status" },
  },
  handler = function(args)
    local id = ack.cluster_arg(args, settings)
    local v = ack.diagnosis_view(ack.diagnosis_result(id, args.diagnosis_id, args.language))
    v.diagnosis_id = v.diagnosis_id or args.diagnosis_id
    return v
  end,
}
