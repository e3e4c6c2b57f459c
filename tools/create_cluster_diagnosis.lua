-- tools/create_cluster_diagnosis.lua: starts an ACK cluster diagnosis (CreateClusterDiagnosis)
-- and returns its id. Class J of ack-api.md: the diagnosis reads the cluster and changes
-- nothing, so it is served in read-only mode on purpose (job = true; the write gate lists
-- the action).
local ack = require("ack")

return ack.tool{
  name = "create_cluster_diagnosis",
  title = "Start an ACK cluster diagnosis",
  description = "Starts ACK's diagnosis of a node, pod, service, ingress, memory of a node, network path, or the "
    .. "whole cluster, and returns the diagnosis id at once; read its result with get_cluster_diagnosis_result "
    .. "(or use diagnose_resource, which also waits for it). The diagnosis only reads: it changes nothing in the "
    .. "cluster. target by type: node {name}, pod {namespace, name}, service {namespace, name}, ingress {url}, "
    .. "memory {node}, network {src, dst, dport?, protocol?}, cluster {}.",
  annotations = { readOnlyHint = false, destructiveHint = false, idempotentHint = false, openWorldHint = true },
  job = true,
  input = {
    type = "object",
    properties = {
      cluster_id = ack.cluster_id_schema(),
      type = { type = "string", enum = { "node", "ingress", "cluster", "memory", "pod", "service", "network" },
               description = "What to diagnose." },
      target = { anyOf = { { type = "object" }, { type = "string" } },
                 description = "What exactly, by type (an object, or its JSON text): node {\"name\": node name}, "
                   .. "pod/service {\"namespace\", \"name\"}, ingress {\"url\"}, memory {\"node\": node name}, "
                   .. "network {\"src\", \"dst\", \"dport\", \"protocol\"}, cluster {}." },
    },
    required = { "type" },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = { diagnosis_id = { type = "string" }, cluster_id = { type = "string" }, request_id = { type = "string" } },
    required = { "diagnosis_id", "cluster_id" },
  },
  handler = function(args, ctx)
    local id = ack.cluster_arg(args, settings)
    local target = ack.diagnosis_target(args.type, args.target, "target")
    local r, meta = ack.create_diagnosis(id, args.type, target)
    return { diagnosis_id = r.diagnosis_id, cluster_id = id, request_id = ack.request_id(r, meta) }
  end,
}
