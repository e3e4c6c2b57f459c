-- rollout.lua: what k8s_rollout and `ack_kubectl rollout` share: kubectl's rollout status
-- wording for Deployments, DaemonSets and StatefulSets, and a workload's revisions (from
-- its ReplicaSets, or from ControllerRevisions for the other two kinds).
local value = require("value")

local M = {}

local tbl = value.tbl

local function present(v)
  return type(v) == "string" and v ~= ""
end

-- kubectl rollout status for object o of kind ("Deployment", "DaemonSet", "StatefulSet"):
-- returns done, message, failed (failed: waiting more cannot help). revision: the
-- Deployment revision the caller expects (kubectl's --revision), or nil.
function M.status(kind, o, revision)
  local s, spec, md = tbl(o.status), tbl(o.spec), tbl(o.metadata)
  local name = md.name
  if kind == "Deployment" then
    if revision then
      local cur = tonumber(tbl(md.annotations)["deployment.kubernetes.io/revision"])
      if cur and cur ~= revision then
        return false, ("desired revision (%d) is different from the running revision (%d)"):format(revision, cur), true
      end
    end
    if (s.observedGeneration or 0) < (md.generation or 0) then
      return false, "Waiting for deployment spec update to be observed..."
    end
    for _, cnd in ipairs(s.conditions or {}) do
      if cnd.type == "Progressing" and cnd.reason == "ProgressDeadlineExceeded" then
        return false, ('deployment "%s" exceeded its progress deadline'):format(name), true
      end
    end
    local want = spec.replicas or 1
    local upd, avail, total = s.updatedReplicas or 0, s.availableReplicas or 0, s.replicas or 0
    if upd < want then
      return false, ('Waiting for deployment "%s" rollout to finish: %d out of %d new replicas have been updated...'):format(name, upd, want)
    end
    if total > upd then
      return false, ('Waiting for deployment "%s" rollout to finish: %d old replicas are pending termination...'):format(name, total - upd)
    end
    if avail < upd then
      return false, ('Waiting for deployment "%s" rollout to finish: %d of %d updated replicas are available...'):format(name, avail, upd)
    end
    return true, ('deployment "%s" successfully rolled out'):format(name)
  elseif kind == "DaemonSet" then
    if (s.observedGeneration or 0) < (md.generation or 0) then
      return false, "Waiting for daemon set spec update to be observed..."
    end
    local want, upd, avail = s.desiredNumberScheduled or 0, s.updatedNumberScheduled or 0, s.numberAvailable or 0
    if upd < want then
      return false, ('Waiting for daemon set "%s" rollout to finish: %d out of %d new pods have been updated...'):format(name, upd, want)
    end
    if avail < want then
      return false, ('Waiting for daemon set "%s" rollout to finish: %d of %d updated pods are available...'):format(name, avail, want)
    end
    return true, ('daemon set "%s" successfully rolled out'):format(name)
  elseif kind == "StatefulSet" then
    if (s.observedGeneration or 0) < (md.generation or 0) then
      return false, "Waiting for statefulset spec update to be observed..."
    end
    local want, ready = spec.replicas or 1, s.readyReplicas or 0
    if ready < want then return false, ("Waiting for %d pods to be ready..."):format(want - ready) end
    if present(s.updateRevision) and s.currentRevision ~= s.updateRevision then
      return false, ("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated..."):format(
        s.updatedReplicas or 0, want)
    end
    return true, ("statefulset rolling update complete %d pods at revision %s..."):format(ready, tostring(s.currentRevision))
  end
  return false, ("no status viewer has been implemented for %s"):format(kind), true
end

local function owned_by(obj, uid)
  for _, rf in ipairs(tbl(tbl(obj.metadata).ownerReferences)) do
    if rf.uid == uid then return true end
  end
  return false
end

-- Revisions of workload o (client c, lua/k8s.lua), oldest first: {revision, cause, name,
-- template (Deployment) or data (ControllerRevision)}.
function M.history(c, kind, o)
  local md = o.metadata
  local out = {}
  if kind == "Deployment" then
    for _, rs in ipairs(c:list(c:resource("replicasets.apps"), { namespace = md.namespace }).items or {}) do
      if owned_by(rs, md.uid) then
        local a = tbl(rs.metadata.annotations)
        out[#out + 1] = { revision = tonumber(a["deployment.kubernetes.io/revision"]) or 0,
          cause = a["kubernetes.io/change-cause"], template = tbl(rs.spec).template, name = rs.metadata.name }
      end
    end
  else
    for _, cr in ipairs(c:list(c:resource("controllerrevisions.apps"), { namespace = md.namespace }).items or {}) do
      if owned_by(cr, md.uid) then
        out[#out + 1] = { revision = cr.revision or 0, cause = tbl(cr.metadata.annotations)["kubernetes.io/change-cause"],
          data = cr.data, name = cr.metadata.name }
      end
    end
  end
  table.sort(out, function(a, b) return a.revision < b.revision end)
  return out
end

return M
