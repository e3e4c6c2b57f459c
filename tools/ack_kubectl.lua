-- tools/ack_kubectl.lua: a kubectl command line, for compatibility with upstream's tool, run
-- natively: lua/kubectl.lua parses it (no shell, no kubectl binary; shell syntax refused) into
-- the same API operations the k8s_* tools use, and lua/kubectl_exec.lua prints what kubectl
-- would print. Writes are refused unless the server runs with --allow-write (a dry run is
-- always allowed: it stores nothing), so in read-only mode the tool is truly read-only.
local kubectl = require("kubectl")
local exec = require("kubectl_exec")
local k8s = require("k8s")

-- Annotations say what the tool can do in this server: read-only unless --allow-write.
local function allow_write()
  local ok, v = pcall(function() return settings.allow_write end)
  return ok and v == true
end
local writes = allow_write()

local DESCRIPTION = [[
Run a kubectl command (the arguments after `kubectl`) against a cluster. It is parsed and executed natively through the Kubernetes API, never by a shell: `;`, `|`, `&&`, `$(...)`, backticks, redirections and newlines outside quotes are refused, so send one command per call and quote arguments as in a POSIX shell.
Reads: get (-o wide|yaml|json|name|jsonpath=...|custom-columns=..., -l, -A, -n, --field-selector, --sort-by, --show-labels, -L, --limit/--continue for paging, -w bounded by --request-timeout), describe, logs (-c, --tail, --since, -p, --timestamps, -l, deploy/NAME), events (--for, --types), top pod|node, api-resources, api-versions, explain, version, cluster-info, auth can-i, auth whoami, rollout status|history.
Writes (need the server's --allow-write; --dry-run=server always works): apply -f - and create -f - with the YAML/JSON in `manifest`, create namespace|configmap|secret generic|serviceaccount|deployment, delete, patch (--type strategic|merge|json), scale, rollout restart|undo|pause|resume, label, annotate, cordon, uncordon, drain, diff -f -.
Not supported (use the named tools): exec, attach, cp, port-forward, proxy, edit, run, expose. Files are never read: pass manifests in `manifest`. Credential flags (--kubeconfig, --token, --server, --as, ...) are refused; pick the cluster with `context`/`cluster_id` (or --context). Output is what kubectl prints (stdout, stderr, exit_code), cut to the output budget at a whole line; secrets are redacted.]]

return {
  name = "ack_kubectl",
  title = "kubectl (native)",
  description = DESCRIPTION,
  toolset = "kubernetes",
  annotations = {
    readOnlyHint = not writes,
    destructiveHint = writes,
    idempotentHint = false,
    openWorldHint = true,
  },
  input = {
    type = "object",
    properties = {
      command = { type = "string", minLength = 1, maxLength = 65536,
        description = "kubectl arguments, e.g. `get pods -n shop -o wide` or `logs deploy/web --tail=50` (a leading `kubectl` is fine)" },
      manifest = { type = "string", maxLength = 4194304,
        description = "YAML or JSON (several documents allowed) for `apply -f -`, `create -f -`, `delete -f -`, `diff -f -`" },
      context = { type = "string", minLength = 1, description = "kubeconfig context to use (default: the current context)" },
      cluster_id = { type = "string", minLength = 1, description = "ACK cluster id (c...); default: --default-cluster-id" },
    },
    required = { "command" },
    additionalProperties = false,
  },
  output = {
    type = "object",
    properties = {
      command = { type = "string", description = "The command as run (after `kubectl`)" },
      stdout = { type = "string", description = "What kubectl would print on stdout, cut to the output budget" },
      stderr = { type = "string", description = "Errors, warnings and notes (kubectl's stderr)" },
      exit_code = { type = "integer", description = "0 on success, 1 on failure, as kubectl" },
      truncated = { type = "boolean", description = "Output was cut or paged; stderr or the last line says how to get the rest" },
    },
    required = { "command", "stdout", "stderr", "exit_code", "truncated" },
  },
  handler = function(args, ctx)
    local command = args.command:gsub("^%s+", ""):gsub("%s+$", "")
    local op, err = kubectl.parse(command, { allow_write = ctx.allow_write, context = args.context })
    if not op then k8s.raise(err.code, err.message) end
    local client = k8s.client({ context = args.context or op.context, cluster_id = args.cluster_id })
    local res = exec.run(op, { client = client, manifest = args.manifest, ctx = ctx })
    res.command = command:gsub("^kubectl%s+", "")
    local text = res.stdout
    if res.stderr ~= "" then text = text .. (text ~= "" and "\n" or "") .. res.stderr end
    if res.exit_code ~= 0 then text = text .. ("[exit code %d]"):format(res.exit_code) end
    if text == "" then text = "(no output)" end
    return mcp.result({ content = { { type = "text", text = text } }, structuredContent = res })
  end,
}
