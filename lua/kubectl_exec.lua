-- kubectl_exec.lua: runs an operation parsed by lua/kubectl.lua through lua/k8s.lua and returns
-- what kubectl would print (owner: the kubectl task). No subprocess, no shell: every verb is
-- API calls plus the shared output helpers (lua/render.lua, lua/describe.lua, lua/redact.lua,
-- lua/jsonpath.lua).
-- The verbs: lua/kubectl_get.lua (get), lua/kubectl_read.lua (the other reads),
-- lua/kubectl_write.lua (writes); their shared state: lua/kubectl_run.lua.
--
--   kubectl_exec.run(op, env) -> { stdout, stderr, exit_code, truncated }
--     env.client    a k8s client (k8s.client(args))
--     env.manifest  the tool's `manifest` argument (YAML or JSON, several documents) for -f -
--     env.budget    bytes of stdout at most (default settings.max_output_bytes)
--     env.ctx       the call's ctx (progress while waiting), optional
--
-- Errors the API server answers are printed as kubectl prints them ("Error from server
-- (NotFound): pods \"x\" not found") with exit code 1. A call that cannot reach any cluster
-- (NoCluster) raises, so the tool reports it as an error. Secrets are redacted and
-- managedFields dropped in every output unless the server runs with --show-secrets.

local render = require("render")
local R = require("kubectl_run")

local M = {}

local DISPATCH = {}
for _, verbs in ipairs({ require("kubectl_get"), require("kubectl_read"), require("kubectl_write") }) do
  for verb, f in pairs(verbs) do DISPATCH[verb] = f end
end

-- Runs op (from kubectl.parse) and returns { stdout, stderr, exit_code, truncated }.
-- Raises only what stops any command from running: no cluster (NoCluster), an empty or
-- malformed manifest (InvalidCommand, InvalidManifest), and bugs.
function M.run(op, env)
  local self = R.new(op, env)
  self.budget = env.budget or settings.max_output_bytes or 32768
  local f = DISPATCH[op.verb]
  if not f then error({ code = "Unsupported", message = "ack_kubectl: no executor for " .. tostring(op.verb) }, 0) end
  local ok, err = pcall(f, self)
  if not ok then
    if type(err) == "table" and (err.code == "InvalidCommand" or err.code == "InvalidManifest") and not err.status then
      error({ code = err.code, message = "ack_kubectl: " .. err.message }, 0)
    end
    self:fail(err)
  end
  local stdout = table.concat(self.out, "\n")
  if stdout ~= "" and not self.no_newline then stdout = stdout .. "\n" end
  if not self.cut_done and #stdout > self.budget then
    local cut, info = render.budget(stdout, self.budget, {
      header = self.header_lines or 0,
      next_hint = "narrow the command (-l, --field-selector, a name, --tail) to see the rest",
    })
    stdout = cut .. "\n"
    self.truncated = self.truncated or info.truncated
  end
  if self.redacted > 0 then
    self:warn(("Note: %d secret value%s redacted; start the server with --show-secrets to reveal"):format(
      self.redacted, self.redacted == 1 and "" or "s"))
  end
  local stderr = table.concat(self.errs, "\n")
  if stderr ~= "" then stderr = stderr .. "\n" end
  return { stdout = stdout, stderr = stderr, exit_code = self.exit, truncated = self.truncated }
end

return M
