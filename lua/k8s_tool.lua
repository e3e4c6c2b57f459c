-- k8s_tool.lua: what the Kubernetes tools share: one set of argument definitions (the same
-- names and descriptions in every tool), the client for a call, and the output path every
-- result takes: managedFields dropped, secrets redacted (unless --show-secrets), rendered as
-- a table, YAML or JSON, and cut to the output budget at a whole row or line.
local k8s = require("k8s")
local render = require("render")
local redact = require("redact")

local M = {}

M.props = {
  kind = { type = "string", minLength = 1, description = "Resource type: kind, plural or short name (pods, po, Deployment, deploy, svc, cm), or qualified (ingresses.networking.k8s.io, apps/v1/Deployment)" },
  name = { type = "string", minLength = 1, maxLength = 253, description = "Object name" },
  namespace = { type = "string", minLength = 1, maxLength = 63, description = "Namespace (default: the context's namespace, usually default); ignored for cluster-scoped kinds" },
  all_namespaces = { type = "boolean", default = false, description = "Across all namespaces" },
  label_selector = { type = "string", description = "Label selector, e.g. app=web,tier!=db" },
  field_selector = { type = "string", description = "Field selector, e.g. status.phase=Running,spec.nodeName=node-1" },
  limit = { type = "integer", minimum = 1, maximum = 10000, description = "At most this many items (the server pages; the output budget may stop earlier)" },
  ["continue"] = { type = "string", description = "Continue token from a previous truncated result, to get the next page" },
  output = { type = "string", enum = { "table", "wide", "yaml", "json", "name" }, default = "table", description = "table (default, compact), wide (more columns), yaml, json, or name" },
  context = { type = "string", minLength = 1, description = "kubeconfig context to use (default: the current context)" },
  cluster_id = { type = "string", minLength = 1, description = "ACK cluster id (c...); its kubeconfig is fetched and cached. Default: --default-cluster-id" },
  dry_run = { type = "boolean", default = false, description = "Ask the API server to validate and return the result without storing it; the result shows a diff against the live object" },
}

-- schema{"kind", "name", ...; required = {...}, extra = {name = schema}}: an input schema
-- from the shared argument definitions (context and cluster_id are always added).
function M.schema(spec)
  local props = {}
  for _, k in ipairs(spec) do props[k] = assert(M.props[k], k) end
  props.context = M.props.context
  props.cluster_id = M.props.cluster_id
  for k, v in pairs(spec.extra or {}) do props[k] = v end
  return { type = "object", properties = props, required = spec.required, additionalProperties = false }
end

function M.client(args)
  return k8s.client(args)
end

function M.budget()
  return settings.max_output_bytes or 32768
end

-- An object as a model should see it: no managedFields, secrets redacted. Returns the copy
-- and how many values were redacted.
function M.shape(obj, opts)
  if settings.show_secrets then return render.clean(obj, opts), 0 end
  if opts and opts.keep_managed then return redact.object(obj) end
  return redact.object(obj, { clean = true }) -- one pass: cheaper on big lists
end

function M.encode(value, format)
  if format == "json" then return json.encode(value, { pretty = true }) end
  return yaml.encode(value)
end

-- A whole result: text (cut to the budget) + structured content.
function M.result(text, structured, note)
  if note and note ~= "" then text = text .. "\n" .. note end
  return mcp.result({ content = { { type = "text", text = text } }, structuredContent = structured })
end

function M.redaction_note(n)
  if not n or n == 0 then return nil end
  return ("(%d secret value%s redacted; start the server with --show-secrets to reveal)"):format(n, n == 1 and "" or "s")
end

-- Cuts text at a whole line to the budget; returns text, info.
function M.cut(text, hint)
  return render.budget(text, M.budget(), { next_hint = hint })
end

-- A unified diff of two versions of an object (nil: absent), as YAML, without the fields
-- every write changes (resourceVersion, generation, managedFields).
function M.diff(before, after)
  local diff = require("diff")
  local function text(o)
    if o == nil then return "" end
    local c = M.shape(o)
    local md = c.metadata
    if md then
      md.resourceVersion, md.generation = nil, nil
    end
    return yaml.encode(c)
  end
  return diff.unified(text(before), text(after), { a_label = "live", b_label = "after" })
end

-- "deployment.apps/web": how kubectl names an object in its messages.
function M.ref(r, name)
  return r.kind:lower() .. (r.group ~= "" and ("." .. r.group) or "") .. "/" .. name
end

M.k8s = k8s
return M
