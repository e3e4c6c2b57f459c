-- kubectl_run.lua: the state of one ack_kubectl run and the helpers every verb shares
-- (owner: the kubectl task): stdout and stderr as kubectl writes them, errors in kubectl's
-- words, kubectl's names for objects ("deployment.apps/web"), the objects of a -f - manifest,
-- shaping (managedFields dropped, secrets redacted) and the -o printers. The verbs live in
-- lua/kubectl_get.lua, lua/kubectl_read.lua and lua/kubectl_write.lua; lua/kubectl_exec.lua
-- runs them.

local render = require("render")
local redact = require("redact")
local jsonpath = require("jsonpath")
local V = require("value")

local M = {}

local null = json.null
local is_null, tbl, str, sorted_keys = V.is_null, V.tbl, V.str, V.sorted_keys

local function show_secrets()
  return settings.show_secrets == true
end

---------------------------------------------------------------------------------------------
-- Output state of one run

local Run = {}
Run.__index = Run

local function new_run(op, env)
  return setmetatable({
    op = op, env = env, c = env.client, out = {}, errs = {}, exit = 0, redacted = 0,
    header_lines = nil, cut_done = false, truncated = false,
  }, Run)
end

-- Appends a line to stdout.
function Run:say(s) self.out[#self.out + 1] = s end
-- Appends text (lines joined with "\n", maybe ending in one) to stdout.
function Run:text(s)
  if s == "" then return end
  if s:sub(-1) == "\n" then s = s:sub(1, -2) end
  self.out[#self.out + 1] = s
end
function Run:warn(s) self.errs[#self.errs + 1] = s end

-- kubectl's wording of a failure; raises again what is not an API or transport error.
local TRANSPORT = { Timeout = true, ConnectionFailed = true, TLSError = true, AuthFailed = true, TooLarge = true }

local function error_line(e)
  if type(e) ~= "table" or type(e.code) ~= "string" then error(e, 0) end
  if e.code == "NoCluster" then error(e, 0) end
  local msg = tostring(e.message or ""):gsub("^kubernetes: ", "")
  if e.status == 401 then
    -- kubectl's words, then why (k8s.lua says what usually causes it)
    local why = msg:match("^Unauthorized %((.*)%)$")
    return "error: You must be logged in to the server (Unauthorized)" .. (why and ("\nNote: " .. why) or "")
  end
  if e.status and e.status >= 400 then return ("Error from server (%s): %s"):format(e.code, msg) end
  if TRANSPORT[e.code] then return "Unable to connect to the server: " .. msg end
  return "error: " .. msg
end

function Run:fail(e)
  self.exit = 1
  self:warn(type(e) == "string" and ("error: " .. e) or error_line(e))
end

-- Calls f(...) and returns its results; an API error is printed and nil returned.
function Run:try(f, ...)
  local res = table.pack(pcall(f, ...))
  if res[1] then return table.unpack(res, 2, res.n) end
  self:fail(res[2])
  return nil
end

function Run:namespace()
  return self.op.namespace or self.c.namespace
end

-- An object as the model should see it: managedFields and last-applied dropped (unless
-- --show-managed-fields), secrets redacted (unless --show-secrets).
function Run:shape(obj, kind)
  local o = render.clean(obj, { keep_managed = self.op.show_managed_fields })
  if show_secrets() then return o end
  local r, n = redact.object(o, { kind = kind })
  self.redacted = self.redacted + n
  return r
end

function Run:redact_text(s)
  if show_secrets() then return s end
  local r, n = redact.text(s)
  self.redacted = self.redacted + n
  return r
end

---------------------------------------------------------------------------------------------
-- Names as kubectl prints them

local function kind_group(r)
  return r.kind:lower() .. (r.group ~= "" and ("." .. r.group) or "")
end

local function ref(r, name) return kind_group(r) .. "/" .. name end
local function quoted(r, name) return ('%s "%s"'):format(kind_group(r), name) end
-- "pods" / "deployments.apps": how API messages name a resource.
local function resource_group(r)
  return r.resource .. (r.group ~= "" and ("." .. r.group) or "")
end

local function dry_suffix(op)
  if op.dry_run == "server" then return " (server dry run)" end
  if op.dry_run == "client" then return " (dry run)" end
  return ""
end


local function has_verb(r, verb)
  for _, v in ipairs(r.verbs or {}) do
    if v == verb then return true end
  end
  return false
end

-- The mappings a type argument means: "all" expands to the category, as kubectl does.
function Run:resolve(t)
  if t == "all" then
    local out = {}
    for _, m in ipairs(self.c:api_resources()) do
      if m.preferred then
        for _, cat in ipairs(m.categories or {}) do
          if cat == "all" then out[#out + 1] = m end
        end
      end
    end
    return out, true
  end
  return { self.c:resource(t) }, false
end

local function list_opts(self, r, extra)
  local op = self.op
  local o = {
    namespace = self:namespace(), all_namespaces = op.all_namespaces,
    label_selector = op.selector, field_selector = op.field_selector,
  }
  for k, v in pairs(extra or {}) do o[k] = v end
  if not r.namespaced then o.all_namespaces = nil end
  return o
end

-- "No resources found in shop namespace." as kubectl says it, on stderr.
function Run:none_found(namespaced)
  if namespaced and not self.op.all_namespaces then
    self:warn(("No resources found in %s namespace."):format(self:namespace()))
  else
    self:warn("No resources found")
  end
end

local function continue_of(list)
  local md = tbl(list.metadata)
  local t = md["continue"]
  if is_null(t) or t == "" then return nil end
  return t, (not is_null(md.remainingItemCount)) and md.remainingItemCount or nil
end

---------------------------------------------------------------------------------------------
-- Manifests (-f - with the tool's `manifest` argument)

function Run:manifest_objects()
  local text = self.env.manifest
  if type(text) ~= "string" or not text:find("%S") then
    error({ code = "InvalidCommand", message = "-f - reads the objects from the tool's `manifest` argument, "
      .. "which is empty: pass the YAML or JSON there" }, 0)
  end
  local ok, docs = pcall(yaml.decode_all, text)
  if not ok then
    error({ code = "InvalidManifest", message = "the manifest is not valid YAML or JSON: "
      .. tostring(type(docs) == "table" and docs.message or docs) }, 0)
  end
  local out = {}
  local function add(doc, where)
    if type(doc) ~= "table" or doc == null or json.is_array(doc) then
      error({ code = "InvalidManifest", message = where .. " is not an object (a mapping with apiVersion, kind, metadata)" }, 0)
    end
    if type(doc.kind) == "string" and doc.kind:sub(-4) == "List" and type(doc.items) == "table" then
      for i, item in ipairs(doc.items) do add(item, where .. " item " .. i) end
      return
    end
    if type(doc.apiVersion) ~= "string" or type(doc.kind) ~= "string" then
      error({ code = "InvalidManifest", message = where .. ": Object 'Kind' or 'apiVersion' is missing" }, 0)
    end
    if type(tbl(doc.metadata).name) ~= "string" or doc.metadata.name == "" then
      error({ code = "InvalidManifest", message = where .. " (" .. doc.kind .. "): metadata.name is required" }, 0)
    end
    out[#out + 1] = doc
  end
  for i, doc in ipairs(docs) do add(doc, "document " .. i) end
  if #out == 0 then
    error({ code = "InvalidManifest", message = "the manifest holds no objects" }, 0)
  end
  return out
end

-- What a read verb names, one group per -f - object ({rs = {r}, names = {name}, ns =}),
-- else one per TYPE argument ({rs =, names =, expanded =}: "all" expands to several).
function Run:groups()
  local groups = {}
  if self.op.stdin then
    for _, obj in ipairs(self:manifest_objects()) do
      local r, ns, name = self:object_ref(obj)
      groups[#groups + 1] = { rs = { r }, names = { name }, ns = ns }
    end
    return groups
  end
  for _, g in ipairs(self.op.resources) do
    local rs, expanded = self:resolve(g.type)
    groups[#groups + 1] = { rs = rs, names = g.names, expanded = expanded }
  end
  return groups
end

-- The namespace an object from a manifest goes to; kubectl refuses a conflicting -n.
function Run:object_namespace(r, obj)
  if not r.namespaced then return nil end
  local md = tbl(obj.metadata)
  local ns = str(md.namespace)
  if ns and ns ~= "" and self.op.namespace and ns ~= self.op.namespace then
    error({ code = "InvalidCommand", message = ('the namespace from the provided object "%s" does not match the '
      .. 'namespace "%s". You must pass \'--namespace=%s\' to perform this operation.'):format(ns, self.op.namespace, ns) }, 0)
  end
  return (ns and ns ~= "") and ns or self:namespace()
end

-- The resource, namespace and name of an object of the manifest.
function Run:object_ref(obj)
  local r = self.c:resource_for(obj.apiVersion, obj.kind)
  return r, self:object_namespace(r, obj), obj.metadata.name
end

-- Rows aligned as kubectl's table printer aligns them; the first is a header unless
-- --no-headers, and the output budget keeps it when it cuts.
function Run:print_rows(rows)
  self.header_lines = self.op.no_headers and 0 or 1
  self:text(render.columns(rows, { gap = 3, min_width = 6 }))
end

---------------------------------------------------------------------------------------------
-- -o printers

-- Serialises objects for -o json|yaml|name|jsonpath|custom-columns. objs are shaped objects;
-- single: print the object itself rather than a List.
function Run:print_objects(objs, refs, single)
  local o = self.op.output
  local fmt = o.format
  if fmt == "name" then
    for _, rf in ipairs(refs) do self:say(rf) end
    return
  end
  local data
  if single and #objs == 1 then
    data = objs[1]
  else
    data = { apiVersion = "v1", kind = "List", items = json.array(objs), metadata = { resourceVersion = "" } }
  end
  if fmt == "json" then
    self:text(jsonpath.go_json(data, "    "))
  elseif fmt == "yaml" then
    self:text(yaml.encode(data))
  elseif fmt == "jsonpath" or fmt == "jsonpath-as-json" then
    local execute = fmt == "jsonpath" and jsonpath.execute or jsonpath.execute_json
    local text, err = execute(o.jsonpath, data)
    if not text then
      return self:fail(("error executing jsonpath %q: Error executing template: %s"):format(o.template, err))
    end
    self:text(text)
    if fmt == "jsonpath" then self.no_newline = not text:find("\n$") end
  elseif fmt == "custom-columns" then
    local rows = {}
    if not self.op.no_headers then
      local h = {}
      for i, col in ipairs(o.columns) do h[i] = col.header end
      rows[1] = h
    end
    for _, obj in ipairs(objs) do
      local row = {}
      for i, col in ipairs(o.columns) do
        local vals, err = jsonpath.find(col.jsonpath, obj)
        if not vals then return self:fail(err) end
        local texts = {}
        for _, v in ipairs(vals) do texts[#texts + 1] = jsonpath.go_print(v) end
        row[i] = #texts > 0 and table.concat(texts, ",") or "<none>"
      end
      rows[#rows + 1] = row
    end
    self:print_rows(rows)
  end
end

M.Run = Run
M.new = new_run
M.null, M.tbl, M.str, M.is_null, M.sorted_keys, M.show_secrets = null, tbl, str, is_null, sorted_keys, show_secrets
M.kind_group, M.ref, M.quoted, M.resource_group, M.dry_suffix = kind_group, ref, quoted, resource_group, dry_suffix
M.has_verb, M.list_opts, M.continue_of, M.error_line = has_verb, list_opts, continue_of, error_line

return M
