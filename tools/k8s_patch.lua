-- tools/k8s_patch.lua: patch one object (strategic merge, JSON merge or JSON patch) and show
-- what changed as a diff; dry_run shows the diff without storing anything.
local kt = require("k8s_tool")

return {
  name = "k8s_patch",
  title = "Patch a Kubernetes object",
  description = "Change fields of one object with a patch: strategic (default; merges lists by key like kubectl), merge (RFC 7386) or json (RFC 6902 operations). Returns a unified diff of the object before and after. dry_run: true shows the diff without storing it.",
  toolset = "kubernetes",
  annotations = { readOnlyHint = false, destructiveHint = true, idempotentHint = false, openWorldHint = true },
  input = kt.schema({ "kind", "name", "namespace", "dry_run", required = { "kind", "name", "patch" }, extra = {
    patch = { type = { "object", "array", "string" }, description = "The patch: an object (strategic/merge), an array of operations (json), or the same as a JSON/YAML string" },
    type = { type = "string", enum = { "strategic", "merge", "json" }, default = "strategic", description = "Patch type" },
    subresource = { type = "string", enum = { "status", "scale" }, description = "Patch this subresource instead of the object" },
  } }),
  handler = function(args)
    local c = kt.client(args)
    local r = c:resource(args.kind)
    local patch = args.patch
    if type(patch) == "string" then
      local v = json.decode(patch)
      if v == nil then
        local ok, y = pcall(yaml.decode, patch)
        if not ok or type(y) ~= "table" then kt.k8s.raise("Invalid", "patch is neither JSON nor YAML") end
        v = y
      end
      patch = v
    end
    if args.type == "json" and not json.is_array(patch) then kt.k8s.raise("Invalid", "a json patch is an array of operations ({op, path, value})") end
    local before = c:get(r, args.name, { namespace = args.namespace })
    local after = c:patch(r, args.name, patch, { namespace = args.namespace, type = args.type, dry_run = args.dry_run, subresource = args.subresource })
    local d = kt.diff(before, after)
    local ref = kt.ref(r, args.name)
    local head = ref .. (d == "" and " unchanged" or " patched") .. (args.dry_run and " (server dry run)" or "")
    local text = kt.cut(d == "" and head or (head .. "\n\n" .. d), "patch fewer fields at once")
    return kt.result(text, { ref = ref, changed = d ~= "", diff = d, object = kt.shape(after), dry_run = args.dry_run or false })
  end,
}
