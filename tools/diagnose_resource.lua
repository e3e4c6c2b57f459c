-- tools/diagnose_resource.lua: starts a diagnosis and waits for its result, with progress
-- notifications, until it completes or fails, the timeout passes (then it returns what is
-- known, with the id to look again) or the call is cancelled (polling stops at once; the
-- diagnosis itself goes on in the cloud). Class J, like create_cluster_diagnosis.
local ack = require("ack")

return ack.tool{
  name = "diagnose_resource",
  title = "Diagnose a resource of an ACK cluster",
  description = "Runs ACK's diagnosis of a node, pod, service, ingress, memory of a node, or network path and waits "
    .. "for the result (reporting progress), then returns status, code (success or failed), the findings and the "
    .. "message. If it takes longer than timeout_seconds, returns what is known so far with the diagnosis id "
    .. "(read it later with get_cluster_diagnosis_result). The diagnosis only reads: it changes nothing in the "
    .. "cluster. resource_target by type: node {name}, pod {namespace, name}, service {namespace, name}, "
    .. "ingress {url}, memory {node}, network {src, dst, dport?, protocol?}.",
  annotations = { readOnlyHint = false, destructiveHint = false, idempotentHint = false, openWorldHint = true },
  job = true,
  timeout = 3600,
  input = {
    type = "object",
    properties = ack.job_wait_input({
      cluster_id = ack.cluster_id_schema(),
      resource_type = { type = "string", enum = { "node", "ingress", "memory", "pod", "service", "network" },
                        description = "What kind of resource to diagnose." },
      resource_target = { anyOf = { { type = "object" }, { type = "string" } },
                          description = "Which one (an object, or its JSON text): node {\"name\": node name}, "
                            .. "pod/service {\"namespace\", \"name\"}, ingress {\"url\"}, memory {\"node\": node name}, "
                            .. "network {\"src\", \"dst\", \"dport\", \"protocol\"}." },
      language = ack.language_schema(),
    }, "How long to wait for the result; default the server's --diagnose-timeout (300).",
       "Pause between reads of the result; default --diagnose-poll-interval (10)."),
    required = { "resource_type", "resource_target" },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      diagnosis_id = { type = "string" }, cluster_id = { type = "string" }, status = { type = "string" },
      code = { type = "string" }, timed_out = { type = "boolean" }, hint = { type = "string" },
    },
    required = { "diagnosis_id", "status" },
  },
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local target = ack.diagnosis_target(args.resource_type, args.resource_target, "resource_target")
    local did = ack.create_diagnosis(id, args.resource_type, target).diagnosis_id
    local r, outcome, timeout = ack.wait_job(ctx, args, {
      fetch = function() return ack.diagnosis_result(id, did, args.language) end,
      done = ack.diagnosis_finished,
      describe = function(res, elapsed)
        return string.format("diagnosis %s %s after %d s", did, ack.diagnosis_view(res).status, math.floor(elapsed))
      end,
    }, "diagnosis_id", did, string.format(" (diagnosis %s was started; read it with get_cluster_diagnosis_result)", did))
    local v = ack.diagnosis_view(r)
    v.diagnosis_id, v.cluster_id = did, id
    v.resource_type = v.resource_type or args.resource_type
    v.resource_target = v.resource_target or target
    if outcome ~= "done" then
      v.timed_out = true
      v.hint = string.format("the diagnosis was still %s after %g s; read it later with get_cluster_diagnosis_result (diagnosis_id %s)",
                             v.status, timeout, did)
    end
    return v
  end,
}
