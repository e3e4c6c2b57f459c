-- tools/k8s_apply.lua: server-side apply of one or more objects (YAML or JSON, multi-
-- document). Every document is first validated by the API server (dry run) so a bad one
-- stops the whole apply before anything is written; dry_run returns the objects the server
-- would store and a diff against the live ones.
local kt = require("k8s_tool")

local function documents(manifest)
  local docs
  local trimmed = manifest:match("^%s*(.-)%s*$")
  if trimmed:sub(1, 1) == "{" or trimmed:sub(1, 1) == "[" then
    local v, err = json.decode(trimmed)
    if v == nil then kt.k8s.raise("Invalid", "manifest is not valid JSON: " .. tostring(err)) end
    docs = json.is_array(v) and v or { v }
  else
    local ok, v = pcall(yaml.decode_all, manifest)
    if not ok then kt.k8s.raise("Invalid", "manifest is not valid YAML: " .. tostring(type(v) == "table" and v.message or v)) end
    docs = v
  end
  local out = {}
  for _, d in ipairs(docs) do
    if type(d) == "table" and d.kind == "List" and d.items then
      for _, item in ipairs(d.items) do out[#out + 1] = item end
    elseif d ~= json.null and d ~= nil then
      out[#out + 1] = d
    end
  end
  if #out == 0 then kt.k8s.raise("Invalid", "manifest holds no objects") end
  for i, d in ipairs(out) do
    if type(d) ~= "table" or type(d.apiVersion) ~= "string" or type(d.kind) ~= "string" then
      kt.k8s.raise("Invalid", ("document %d: every object needs apiVersion and kind"):format(i))
    end
    if type(d.metadata) ~= "table" or type(d.metadata.name) ~= "string" then
      kt.k8s.raise("Invalid", ("document %d (%s): metadata.name is required"):format(i, d.kind))
    end
  end
  return out
end

return {
  name = "k8s_apply",
  title = "Apply Kubernetes manifests",
  description = "Create or update objects from a YAML or JSON manifest (several documents allowed) with server-side apply (field manager ack-mcp-server). All documents are validated by the API server before any is written. dry_run: true returns what the server would store and a unified diff against the live objects, changing nothing.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = true, openWorldHint = true },
  input = kt.schema({ "namespace", "dry_run", required = { "manifest" }, extra = {
    manifest = { type = "string", minLength = 1, maxLength = 4194304, description = "YAML (--- between documents) or JSON (an object, an array, or a List)" },
    force = { type = "boolean", default = false, description = "Take over fields another field manager owns (resolves apply conflicts)" },
  } }),
  handler = function(args, ctx)
    local c = kt.client(args)
    local docs = documents(args.manifest)
    local opts = { namespace = args.namespace, force = args.force }
    -- Validate everything first: a bad document must not leave the others half applied.
    local planned = {}
    for i, d in ipairs(docs) do
      local ok, res = pcall(function()
        local r = c:resource_for(d.apiVersion, d.kind)
        local ns = r.namespaced and (d.metadata.namespace or args.namespace or c.namespace) or nil
        local live = c:try_get(r, d.metadata.name, { namespace = ns })
        return { r = r, live = live, dry = c:apply(d, { namespace = args.namespace, force = args.force, dry_run = true }) }
      end)
      if not ok then
        local e = type(res) == "table" and res or { code = "Error", message = tostring(res) }
        kt.k8s.raise(e.code, ("document %d (%s %s): %s%s"):format(i, d.kind, d.metadata.name, e.message,
          #docs > 1 and "; nothing was applied" or ""), e.status)
      end
      planned[i] = res
    end
    local lines, results = {}, json.array()
    for i, d in ipairs(docs) do
      local p = planned[i]
      local obj = p.dry
      if not args.dry_run then
        local ok, res = pcall(c.apply, c, d, opts)
        if not ok then
          local e = type(res) == "table" and res or { code = "Error", message = tostring(res) }
          kt.k8s.raise(e.code, ("document %d (%s) failed after %d applied (%s): %s"):format(i, kt.ref(p.r, d.metadata.name), i - 1,
            table.concat(lines, "; "), e.message), e.status)
        end
        obj = res
        ctx.progress(i, #docs, kt.ref(p.r, d.metadata.name))
      end
      local action = p.live == nil and "created"
        or (obj.metadata and p.live.metadata and obj.metadata.resourceVersion == p.live.metadata.resourceVersion and "unchanged")
        or "configured"
      lines[#lines + 1] = kt.ref(p.r, d.metadata.name) .. " " .. action .. (args.dry_run and " (server dry run)" or "")
      local entry = { ref = kt.ref(p.r, d.metadata.name), action = action, namespace = obj.metadata and obj.metadata.namespace }
      if args.dry_run then
        entry.diff = kt.diff(p.live, obj)
        entry.object = kt.shape(obj)
      end
      results[#results + 1] = entry
    end
    local text = table.concat(lines, "\n")
    if args.dry_run then
      for _, e in ipairs(results) do
        if e.diff ~= "" then text = text .. "\n\n" .. e.diff end
      end
    end
    local cut = kt.cut(text, "apply fewer documents at once")
    return kt.result(cut, { results = results, dry_run = args.dry_run or false })
  end,
}
