-- kubectl_exec.lua: runs an operation parsed by lua/kubectl.lua through lua/k8s.lua and prints
-- what kubectl would print (owner: the kubectl task). No subprocess, no shell: every verb is
-- API calls plus the shared output helpers (lua/render.lua tables and describe, lua/redact.lua,
-- lua/jsonpath.lua).
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

local k8s = require("k8s")
local render = require("render")
local redact = require("redact")
local jsonpath = require("jsonpath")

local M = {}

local PAGE = 500
local MAX_FETCH_BYTES = 2 << 20    -- objects read for -o jsonpath/custom-columns before stopping
local OBJECT_PAGE = 100            -- page size for -o json/yaml, which fill the budget quickly
local LOG_FETCH_BYTES = 8 << 20    -- log bytes read from the API server at most
local LOG_TAIL_DEFAULT = 2000      -- lines read when no --tail/--since bounds a log
local WATCH_DEFAULT = 30           -- seconds a -w watch runs without --request-timeout
local WAIT_DEFAULT = 30            -- seconds rollout status / drain wait at most
local EVICT_RETRY = 5              -- seconds between evictions refused by a PDB, as kubectl

local null = json.null

local function is_null(v) return v == nil or v == null end
local function tbl(v) return (type(v) == "table" and v ~= null) and v or {} end
local function str(v) return type(v) == "string" and v or nil end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

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
    header_lines = nil, hint = nil, cut_done = false, truncated = false,
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

local function not_found(r, name)
  return { code = "NotFound", status = 404, message = ('%s "%s" not found'):format(resource_group(r), name) }
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

---------------------------------------------------------------------------------------------
-- get

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
  elseif fmt == "jsonpath" then
    local text, err = jsonpath.execute(o.jsonpath, data)
    if not text then
      return self:fail(("error executing jsonpath %q: Error executing template: %s"):format(o.template, err))
    end
    self:text(text)
    self.no_newline = not text:find("\n$")
  elseif fmt == "jsonpath-as-json" then
    local text, err = jsonpath.execute_json(o.jsonpath, data)
    if not text then
      return self:fail(("error executing jsonpath %q: Error executing template: %s"):format(o.template, err))
    end
    self:text(text)
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
    self.header_lines = self.op.no_headers and 0 or 1
    self:text(render.columns(rows, { gap = 3, min_width = 6 }))
  end
end

-- Sorts Table rows (with objects) or objects by the --sort-by path, as kubectl: numbers
-- numerically, everything else as text; items without the field first.
local function sort_by(prog, items, obj_of)
  local keys = {}
  for i, it in ipairs(items) do
    local vals = jsonpath.find(prog, obj_of(it)) or {}
    keys[it] = { v = vals[1], i = i }
  end
  table.sort(items, function(a, b)
    local ka, kb = keys[a], keys[b]
    local va, vb = ka.v, kb.v
    if va == nil or vb == nil then
      if va == nil and vb ~= nil then return true end
      if vb == nil and va ~= nil then return false end
      return ka.i < kb.i
    end
    local qa, qb = k8s.quantity(va), k8s.quantity(vb)
    if type(va) == "number" and type(vb) == "number" then
      if va ~= vb then return va < vb end
    elseif type(va) == "string" and type(vb) == "string" and qa and qb and va:find("^[%d.]") and vb:find("^[%d.]") then
      if qa ~= qb then return qa < qb end
    else
      local sa, sb = jsonpath.go_print(va), jsonpath.go_print(vb)
      if sa ~= sb then return sa < sb end
    end
    return ka.i < kb.i
  end)
end

-- Adds kubectl's -L columns to a Table: one per label key, after the server's columns.
local function add_label_columns(t, keys)
  if not keys or #keys == 0 then return end
  local defs = t.columnDefinitions
  for _, k in ipairs(keys) do
    local header = (k:match("([^/]+)$") or k):upper()
    defs[#defs + 1] = { name = header, type = "string", priority = 0 }
  end
  for _, row in ipairs(t.rows or {}) do
    local labels = tbl(tbl(tbl(row.object).metadata).labels)
    local cells = row.cells
    local n = #cells
    -- cells may be shorter than the definitions before: pad, then append
    while n < #defs - #keys do n = n + 1; cells[n] = "" end
    for i, k in ipairs(keys) do cells[n + i] = labels[k] ~= nil and tostring(labels[k]) or "" end
  end
end

-- Rows of one resource type as a Table, paging until the output budget is surely full.
-- Returns the Table (first page's columns, all rows) and the continue token after the
-- last row fetched (nil at the end), plus each row's page token for exact cuts.
function Run:fetch_table(r, row_bytes)
  local op = self.op
  local rows, tokens, first = {}, {}, nil
  local token, remaining = op["continue"], nil
  local page = op.limit or (op.chunk_size and op.chunk_size > 0 and op.chunk_size) or PAGE
  local bytes, budget = 0, self.budget
  repeat
    local page_token = token
    local t = self.c:list(r, list_opts(self, r, {
      table = true, limit = page, ["continue"] = page_token, include_object = op.sort_by and "Object" or nil,
    }))
    first = first or t
    for i, row in ipairs(t.rows or {}) do
      rows[#rows + 1] = row
      tokens[#rows] = { token = page_token, index = i }
      bytes = bytes + row_bytes(row)
    end
    token, remaining = continue_of(t)
  until not token or op.limit or (bytes > budget and not op.sort_by)
  local tab = { columnDefinitions = first.columnDefinitions or json.array(), rows = rows,
                metadata = { resourceVersion = tbl(first.metadata).resourceVersion } }
  return tab, token, remaining, tokens
end

-- Full objects of one type (json, yaml, jsonpath, custom-columns, name), paging until the
-- bytes read reach MAX_FETCH_BYTES. Returns objects, continue token, remaining count.
function Run:fetch_objects(r)
  local op = self.op
  local items, token, remaining = {}, op["continue"], nil
  local page = op.limit or (op.chunk_size and op.chunk_size > 0 and op.chunk_size) or PAGE
  local fmt = op.output and op.output.format
  -- json and yaml print every byte they read: twice the budget is plenty to fill it
  local max = MAX_FETCH_BYTES
  if fmt == "json" or fmt == "yaml" then
    max = 2 * self.budget
    if not op.limit then page = math.min(page, OBJECT_PAGE) end
  end
  local bytes = 0
  repeat
    local list = self.c:list(r, list_opts(self, r, { limit = page, ["continue"] = token }))
    for _, it in ipairs(list.items or {}) do
      it.apiVersion = it.apiVersion or r.api_version
      it.kind = it.kind or r.kind
      items[#items + 1] = it
    end
    bytes = bytes + #json.encode(list.items or {})
    token, remaining = continue_of(list)
  until not token or op.limit or bytes > max
  return items, token, remaining
end

local TABLE_FORMATS = { wide = true }

function Run:get_raw()
  local resp = self.c:raw({ path = self.op.raw, accept = "application/json, */*" })
  if resp.status < 200 or resp.status > 299 then
    local st = json.decode(resp.body or "")
    if type(st) == "table" and st.kind == "Status" then
      return self:fail({ code = st.reason or "Unknown", status = resp.status, message = st.message or resp.body })
    end
    return self:fail({ code = "Unknown", status = resp.status,
      message = ("the server responded with the status code %d but did not return more information"):format(resp.status) })
  end
  local body = resp.body or ""
  if not show_secrets() then
    local decoded = json.decode(body)
    if type(decoded) == "table" then
      local shaped = self:shape(decoded)
      body = json.encode(shaped)
    end
  end
  self:text(body)
end

-- One or more names of one type: objects, or a Table of them.
function Run:get_named(r, names, as_table)
  local op = self.op
  local rows, objs, refs, first = {}, {}, {}, nil
  for _, name in ipairs(names) do
    local ok, v = pcall(self.c.get, self.c, r, name, { namespace = self:namespace(), table = as_table })
    if ok then
      if as_table then
        first = first or v
        for _, row in ipairs(v.rows or {}) do rows[#rows + 1] = row end
      else
        v.apiVersion = v.apiVersion or r.api_version
        v.kind = v.kind or r.kind
        objs[#objs + 1] = v
        refs[#refs + 1] = ref(r, name)
      end
    elseif not (op.ignore_not_found and type(v) == "table" and v.code == "NotFound") then
      self:fail(v)
    end
  end
  if as_table then
    return first and { columnDefinitions = first.columnDefinitions, rows = rows, metadata = first.metadata } or nil
  end
  return objs, refs
end

-- Prints Tables (one block per type, kubectl style) with the -A, --show-labels, -L,
-- --show-kind, --sort-by and --no-headers options. blocks: { {r=, t=}, ... }.
function Run:print_tables(blocks, prefix_names)
  local op = self.op
  local texts = {}
  for _, b in ipairs(blocks) do
    local t = b.t
    if op.sort_by then
      sort_by(op.sort_by.jsonpath, t.rows, function(row) return row.object or {} end)
    end
    add_label_columns(t, op.label_columns)
    if prefix_names then
      local name_col
      for i, d in ipairs(t.columnDefinitions) do
        if d.format == "name" or (not name_col and tostring(d.name):lower() == "name") then name_col = name_col or i end
      end
      if name_col then
        for _, row in ipairs(t.rows) do
          row.cells[name_col] = kind_group(b.r) .. "/" .. tostring(row.cells[name_col])
        end
      end
    end
    if #t.rows > 0 then
      texts[#texts + 1] = render.table(self:shape(t, b.r.kind), {
        wide = op.output and op.output.format == "wide",
        namespace_column = op.all_namespaces and b.r.namespaced,
        show_labels = op.show_labels, no_headers = op.no_headers,
      })
    end
  end
  if #texts == 1 then self.header_lines = op.no_headers and 0 or 1 end
  self:text(table.concat(texts, "\n\n"))
end

-- Cuts a one-type table to the budget at a whole row and says exactly where the next
-- page starts (a continue token for the first row not shown), as k8s_list does.
function Run:cut_table(r, tab, token, remaining, tokens)
  local text = table.concat(self.out, "\n")
  local header = self.header_lines or 0
  local cut, info = render.budget(text, self.budget, { header = header })
  if not info.truncated then
    if token then
      self:warn(("Note: %s more %s on the server; the next page starts with --continue=%s"):format(
        remaining and tostring(remaining) or "some", r.resource, token))
      self.truncated = true
    end
    return
  end
  local shown = info.shown
  local t = tokens[shown + 1]
  if t then
    if t.index > 1 then
      local again = self.c:list(r, list_opts(self, r, { table = true, limit = t.index - 1, ["continue"] = t.token }))
      token = continue_of(again)
    else
      token = t.token
    end
    remaining = (remaining or 0) + (#tab.rows - shown)
  end
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local hint = token and ("--continue=" .. token .. " with the same command shows the next rows")
    or "narrow the query with -l or --field-selector"
  local note = ("[%d more %s not shown (output limit %d bytes); %s]"):format(remaining or (#tab.rows - shown),
    r.resource, self.budget, hint)
  -- the note is longer than render.budget's own: drop rows until both fit (the token
  -- still points at the first row not shown, so recount it)
  local used = #note + 2
  for i = 1, header + shown do used = used + #lines[i] + 1 end
  local dropped = 0
  while used > self.budget and shown > 1 do
    used = used - #lines[header + shown] - 1
    shown, dropped = shown - 1, dropped + 1
  end
  if dropped > 0 then
    t = tokens[shown + 1]
    if t.index > 1 then
      token = continue_of(self.c:list(r, list_opts(self, r, { table = true, limit = t.index - 1, ["continue"] = t.token })))
    else
      token = t.token
    end
    remaining = remaining + dropped
    hint = token and ("--continue=" .. token .. " with the same command shows the next rows") or hint
    note = ("[%d more %s not shown (output limit %d bytes); %s]"):format(remaining, r.resource, self.budget, hint)
  end
  self.out = { table.concat(lines, "\n", 1, header + shown) }
  self:say(note)
  self.cut_done, self.truncated = true, true
end

function Run:get()
  local op = self.op
  if op.raw then return self:get_raw() end
  local fmt = op.output and op.output.format
  local as_table = fmt == nil or TABLE_FORMATS[fmt]
  local groups = {}
  if op.stdin then
    for _, obj in ipairs(self:manifest_objects()) do
      local r = self.c:resource_for(obj.apiVersion, obj.kind)
      groups[#groups + 1] = { rs = { r }, names = { obj.metadata.name }, ns = self:object_namespace(r, obj) }
    end
  else
    for _, g in ipairs(op.resources) do
      local rs, expanded = self:resolve(g.type)
      groups[#groups + 1] = { rs = rs, names = g.names, expanded = expanded }
    end
  end
  local multi = #groups > 1 or op.show_kind
  for _, g in ipairs(groups) do
    if g.expanded or #g.rs > 1 then multi = true end
  end

  local blocks, objs, refs = {}, {}, {}
  local single = #groups == 1 and #groups[1].rs == 1 and #groups[1].names == 1
  local paged -- the one listed type, for exact paging
  local any_listed, found = false, 0
  for _, g in ipairs(groups) do
    for _, r in ipairs(g.rs) do
      if #g.names > 0 then
        local saved = op.namespace
        if g.ns then op.namespace = g.ns end
        if as_table then
          local t = self:get_named(r, g.names, true)
          if t then blocks[#blocks + 1] = { r = r, t = t }; found = found + #t.rows end
        else
          local o, rf = self:get_named(r, g.names, false)
          for i = 1, #o do objs[#objs + 1] = o[i]; refs[#refs + 1] = rf[i] end
          found = found + #o
        end
        op.namespace = saved
      elseif not g.expanded or has_verb(r, "list") then
        any_listed = true
        if as_table or fmt == "name" then
          local est = fmt == "name" and function(row)
            return #kind_group(r) + #tostring(tbl(tbl(row.object).metadata).name) + 2
          end or function(row)
            local n = 0
            for _, cell in ipairs(row.cells or {}) do n = n + #tostring(cell) + 3 end
            return n
          end
          local ok, tab, token, remaining, tokens = pcall(self.fetch_table, self, r, est)
          if not ok then
            if not g.expanded then self:fail(tab) end
          else
            found = found + #tab.rows
            blocks[#blocks + 1] = { r = r, t = tab }
            if #groups == 1 and #g.rs == 1 then paged = { r = r, t = tab, token = token, remaining = remaining, tokens = tokens } end
            if fmt == "name" then
              for _, row in ipairs(tab.rows) do refs[#refs + 1] = ref(r, tbl(tbl(row.object).metadata).name or "") end
            end
          end
        else
          local ok, items, token, remaining = pcall(self.fetch_objects, self, r)
          if not ok then
            self:fail(items)
          else
            found = found + #items
            for _, it in ipairs(items) do objs[#objs + 1] = it end
            if token then
              self:warn(("Note: the output holds the first %d %s; %s more on the server: add --continue=%s for the next ones"):format(
                #items, r.resource, remaining and tostring(remaining) or "some", token))
              self.truncated = true
            end
          end
        end
      end
    end
  end

  if as_table then
    self:print_tables(blocks, multi)
    if paged and not op.sort_by then self:cut_table(paged.r, paged.t, paged.token, paged.remaining, paged.tokens) end
  elseif fmt == "name" then
    self:print_objects({}, refs)
    if paged then
      self.header_lines = 0
      self:cut_table(paged.r, paged.t, paged.token, paged.remaining, paged.tokens)
    end
  else
    local shaped = {}
    for i, o in ipairs(objs) do shaped[i] = self:shape(o) end
    self:print_objects(shaped, refs, single)
  end
  if found == 0 and any_listed and self.exit == 0 then
    local namespaced = true
    for _, g in ipairs(groups) do
      for _, r in ipairs(g.rs) do namespaced = namespaced and r.namespaced end
    end
    if fmt == nil or TABLE_FORMATS[fmt] or fmt == "name" then self:none_found(namespaced) end
  end
  if op.watch then self:watch_tables(groups, blocks) end
end

-- get -w: the changes of one type during a bounded window, as Table rows under the list.
function Run:watch_tables(groups, blocks)
  local op = self.op
  local g = groups[1]
  local r = g and g.rs[1]
  local seconds = math.max(1, math.floor(op.request_timeout or WATCH_DEFAULT))
  if not r or #groups > 1 or #g.rs > 1 then
    self:warn("Note: -w watches one resource type; the list above is the current state")
    return
  end
  local q = { watch = "true", timeoutSeconds = seconds, includeObject = "Metadata" }
  if op.selector then q.labelSelector = op.selector end
  if op.field_selector then q.fieldSelector = op.field_selector end
  if #g.names == 1 then q.fieldSelector = "metadata.name=" .. g.names[1] end
  local first = blocks[1] and blocks[1].t
  local rv = first and tbl(first.metadata).resourceVersion
  if str(rv) and rv ~= "" then q.resourceVersion = rv end
  local ns = (r.namespaced and not op.all_namespaces) and self:namespace() or nil
  local path = self.c:path(r, ns)
  local ok, resp = pcall(self.c.raw, self.c, { path = path, query = q, accept = k8s.TABLE_ACCEPT,
    timeout = seconds + 15, max_bytes = MAX_FETCH_BYTES })
  if not ok then return self:fail(resp) end
  local rows = {}
  for line in (resp.body or ""):gmatch("[^\n]+") do
    local ev = json.decode(line)
    if type(ev) == "table" and ev.type ~= "BOOKMARK" and ev.type ~= "ERROR" and type(ev.object) == "table" then
      for _, row in ipairs(ev.object.rows or {}) do rows[#rows + 1] = row end
    end
  end
  if #rows > 0 then
    local defs = (first and first.columnDefinitions) or {}
    local text = render.table(self:shape({ kind = "Table", columnDefinitions = defs, rows = rows }, r.kind), {
      wide = op.output and op.output.format == "wide", no_headers = true,
      namespace_column = op.all_namespaces and r.namespaced, show_labels = op.show_labels })
    self:text(text)
  end
  self:warn(("Note: watched for %ds (--request-timeout sets the window); %d change%s seen"):format(
    seconds, #rows, #rows == 1 and "" or "s"))
end

---------------------------------------------------------------------------------------------
-- describe

function Run:describe_one(r, obj)
  local md = tbl(obj.metadata)
  local events = {}
  if self.op.show_events then
    local ok, evs = pcall(self.c.events, self.c, {
      namespace = r.namespaced and (md.namespace or self:namespace()) or nil,
      all_namespaces = not r.namespaced, kind = r.kind, name = md.name, uid = md.uid,
    })
    if ok then
      for i, e in ipairs(evs) do events[i] = self:shape(e, "Event") end
    end
  end
  local opts = { now = time.now(), yaml_encode = yaml.encode, kind = r.kind }
  if r.kind == "Service" and r.group == "" then
    local ok, eps = pcall(self.c.get, self.c, self.c:resource("endpoints"), md.name, { namespace = md.namespace })
    if ok then opts.endpoints = eps end
  end
  obj.kind = obj.kind or r.kind
  obj.apiVersion = obj.apiVersion or r.api_version
  return render.describe(self:shape(obj, r.kind), events, opts)
end

function Run:describe()
  local op = self.op
  local texts = {}
  local groups = {}
  if op.stdin then
    for _, obj in ipairs(self:manifest_objects()) do
      local r = self.c:resource_for(obj.apiVersion, obj.kind)
      groups[#groups + 1] = { rs = { r }, names = { obj.metadata.name }, ns = self:object_namespace(r, obj) }
    end
  else
    for _, g in ipairs(op.resources) do
      local rs = self:resolve(g.type)
      groups[#groups + 1] = { rs = rs, names = g.names }
    end
  end
  local found = 0
  for _, g in ipairs(groups) do
    for _, r in ipairs(g.rs) do
      local ns = g.ns or self:namespace()
      if #g.names == 0 then
        local list = self:try(self.c.list, self.c, r, list_opts(self, r))
        for _, obj in ipairs(list and list.items or {}) do
          texts[#texts + 1] = self:describe_one(r, obj)
          found = found + 1
        end
      else
        for _, name in ipairs(g.names) do
          local ok, obj = pcall(self.c.get, self.c, r, name, { namespace = ns })
          if ok then
            texts[#texts + 1] = self:describe_one(r, obj)
            found = found + 1
          elseif type(obj) == "table" and obj.code == "NotFound" then
            -- kubectl describe TYPE NAME_PREFIX: every object whose name starts with it
            local list = self:try(self.c.list, self.c, r, list_opts(self, r, { namespace = ns }))
            local matched = 0
            for _, o in ipairs(list and list.items or {}) do
              local n = tbl(o.metadata).name or ""
              if n:sub(1, #name) == name then
                texts[#texts + 1] = self:describe_one(r, o)
                matched = matched + 1
              end
            end
            found = found + matched
            if list and matched == 0 then self:fail(obj) end
          else
            self:fail(obj)
          end
        end
      end
    end
  end
  if found == 0 and self.exit == 0 then self:none_found(true) end
  self:text(table.concat(texts, "\n\n"))
end

---------------------------------------------------------------------------------------------
-- logs

-- metav1.LabelSelector -> selector text for a list call.
local function selector_string(sel)
  if is_null(sel) then return nil end
  local parts = {}
  local ml = tbl(sel.matchLabels)
  if sel.matchLabels == nil and sel.matchExpressions == nil then ml = sel end -- a Service's map
  for _, k in ipairs(sorted_keys(ml)) do parts[#parts + 1] = k .. "=" .. tostring(ml[k]) end
  for _, e in ipairs(sel.matchExpressions or {}) do
    local vals = table.concat(e.values or {}, ",")
    if e.operator == "In" then parts[#parts + 1] = e.key .. " in (" .. vals .. ")"
    elseif e.operator == "NotIn" then parts[#parts + 1] = e.key .. " notin (" .. vals .. ")"
    elseif e.operator == "Exists" then parts[#parts + 1] = e.key
    elseif e.operator == "DoesNotExist" then parts[#parts + 1] = "!" .. e.key end
  end
  if #parts == 0 then return nil end
  return table.concat(parts, ",")
end

local function pod_ready(p)
  for _, c in ipairs(tbl(p.status).conditions or {}) do
    if c.type == "Ready" then return c.status == "True", c.lastTransitionTime end
  end
  return false
end

local function max_restarts(p)
  local m = 0
  for _, cs in ipairs(tbl(p.status).containerStatuses or {}) do
    if (cs.restartCount or 0) > m then m = cs.restartCount end
  end
  return m
end

-- kubectl's podutils.ByLogging: the pod `logs deploy/x` reads.
local PHASE_RANK = { Running = 0, Unknown = 1, Pending = 2 }
local function by_logging(a, b)
  local na, nb = str(tbl(a.spec).nodeName) or "", str(tbl(b.spec).nodeName) or ""
  if na ~= nb and (na == "" or nb == "") then return na ~= "" end
  local pa, pb = PHASE_RANK[tbl(a.status).phase] or 3, PHASE_RANK[tbl(b.status).phase] or 3
  if pa ~= pb then return pa < pb end
  local ra, ta = pod_ready(a)
  local rb, tb = pod_ready(b)
  if ra ~= rb then return ra end
  if ra and rb and ta ~= tb then
    if not ta then return false end
    if not tb then return true end
    return ta < tb
  end
  local ma, mb = max_restarts(a), max_restarts(b)
  if ma ~= mb then return ma > mb end
  local ca, cb = tbl(a.metadata).creationTimestamp or "", tbl(b.metadata).creationTimestamp or ""
  if ca ~= cb then return ca < cb end
  return (tbl(a.metadata).name or "") < (tbl(b.metadata).name or "")
end

-- The pods a logs/attach reference means: pods/x itself, else the pods its selector picks.
function Run:pods_for(rf)
  local c = self.c
  local r = c:resource(rf.type)
  local ns = self:namespace()
  if r.kind == "Pod" and r.group == "" then
    return { c:get(r, rf.name, { namespace = ns }) }, nil
  end
  local obj = c:get(r, rf.name, { namespace = ns })
  local spec = tbl(obj.spec)
  local sel = r.kind == "Service" and spec.selector or spec.selector
  local text = selector_string(sel)
  if not text then
    error({ code = "BadRequest", message = ("cannot get the logs of %s: it has no pod selector"):format(ref(r, rf.name)) }, 0)
  end
  local pods = c:list(c:resource("pods"), { namespace = ns, label_selector = text }).items or {}
  if #pods == 0 then
    error({ code = "NotFound", message = ("no pods found for %s (selector %s)"):format(ref(r, rf.name), text) }, 0)
  end
  table.sort(pods, by_logging)
  return { pods[1] }, #pods
end

-- The containers logs reads in a pod, and kubectl's "Defaulted container" note.
function Run:containers_for(pod)
  local op = self.op
  local spec = tbl(pod.spec)
  local names, inits = {}, {}
  for _, c in ipairs(spec.containers or {}) do names[#names + 1] = c.name end
  for _, c in ipairs(spec.initContainers or {}) do inits[#inits + 1] = c.name end
  if op.container then return { op.container } end
  if op.all_containers then
    local all = {}
    for _, n in ipairs(inits) do all[#all + 1] = n end
    for _, n in ipairs(names) do all[#all + 1] = n end
    return all
  end
  local anno = tbl(tbl(pod.metadata).annotations)["kubectl.kubernetes.io/default-container"]
  local chosen = str(anno) or names[1]
  if #names + #inits > 1 and not str(anno) then
    local list = {}
    for _, n in ipairs(names) do list[#list + 1] = n end
    for _, n in ipairs(inits) do list[#list + 1] = n .. " (init)" end
    self:warn(('Defaulted container "%s" out of: %s'):format(chosen, table.concat(list, ", ")))
  end
  return { chosen }
end

function Run:logs()
  local op = self.op
  local c = self.c
  local pods, count
  if op.selector then
    pods = c:list(c:resource("pods"), { namespace = self:namespace(), all_namespaces = op.all_namespaces,
      label_selector = op.selector }).items or {}
    if #pods == 0 then
      self:warn(("No resources found in %s namespace."):format(self:namespace()))
      return
    end
    if op.follow and #pods > op.max_log_requests then
      return self:fail(("you are attempting to follow %d log streams, but maximum allowed concurrency is %d, use "
        .. "--max-log-requests to increase the limit"):format(#pods, op.max_log_requests))
    end
  else
    pods, count = self:pods_for(op.ref)
    if count and count > 1 then
      self:warn(("Found %d pods, using pod/%s"):format(count, pods[1].metadata.name))
    end
  end
  local tail = op.tail
  local bounded = tail or op.since or op.since_time or op.limit_bytes
  if not bounded then tail = LOG_TAIL_DEFAULT end
  local lines = {}
  for _, pod in ipairs(pods) do
    local md = pod.metadata
    for _, container in ipairs(self:containers_for(pod)) do
      local ok, text = pcall(c.logs, c, md.name, {
        namespace = md.namespace, container = container, tail = tail, since = op.since,
        since_time = op.since_time, previous = op.previous, timestamps = op.timestamps,
        limit_bytes = math.min(op.limit_bytes or LOG_FETCH_BYTES, LOG_FETCH_BYTES),
      })
      if ok then
        local prefix = (op.prefix or (op.selector and op.prefix)) and ("[pod/%s/%s] "):format(md.name, container) or ""
        for l in text:gmatch("([^\n]*)\n?") do
          if l ~= "" then lines[#lines + 1] = prefix .. l end
        end
        if text:sub(-1) ~= "\n" and #text > 0 and #lines > 0 and op.limit_bytes then
          self.no_newline = true
        end
      elseif not op.ignore_errors then
        self:fail(text)
      end
    end
  end
  -- Newest lines within the budget, as k8s_logs keeps them.
  local text = self:redact_text(table.concat(lines, "\n"))
  local all = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do all[#all + 1] = l end
  if #lines == 0 then all = {} end
  local budget, used, first = self.budget - 300, 0, #all + 1
  for i = #all, 1, -1 do
    local n = #all[i] + 1
    if used + n > budget then break end
    used, first = used + n, i
  end
  if first > 1 then
    self:warn(("Note: %d earlier log line%s not shown (output limit %d bytes); use --tail or --since to choose the lines"):format(
      first - 1, first == 2 and "" or "s", self.budget))
    self.truncated = true
  elseif not bounded and #lines >= LOG_TAIL_DEFAULT then
    self:warn(("Note: the newest %d lines; use --tail or --since to read further back"):format(LOG_TAIL_DEFAULT))
    self.truncated = true
  end
  if first <= #all then self:text(table.concat(all, "\n", first)) end
  if op.follow then
    self:warn("Note: -f does not stream here; this is the log up to now (call again for newer lines)")
  end
  self.cut_done = true
end

---------------------------------------------------------------------------------------------
-- events

-- kubectl events' order: series, then lastTimestamp, then eventTime.
local function event_sort_time(e)
  if type(e.series) == "table" and str(e.series.lastObservedTime) then return e.series.lastObservedTime end
  if str(e.lastTimestamp) then return e.lastTimestamp end
  if str(e.eventTime) then return e.eventTime end
  return str(e.firstTimestamp) or ""
end

-- kubectl events' LAST SEEN: "35s", or "35s (x164 over 3h)" for a repeated event.
local function event_interval(e, now)
  local first = str(e.eventTime) and render.since(e.eventTime, now) or render.since(e.firstTimestamp, now)
  if type(e.series) == "table" and str(e.series.lastObservedTime) then
    return ("%s (x%s over %s)"):format(render.since(e.series.lastObservedTime, now), tostring(e.series.count or 1), first)
  end
  if type(e.count) == "number" and e.count > 1 then
    return ("%s (x%d over %s)"):format(render.since(e.lastTimestamp, now), e.count, first)
  end
  return first
end

function Run:events()
  local op = self.op
  local c = self.c
  local q = { namespace = self:namespace(), all_namespaces = op.all_namespaces }
  if op.for_ref then
    local r = c:resource(op.for_ref.type)
    q.kind, q.name = r.kind, op.for_ref.name
  end
  local items = c:events(q)
  if op.types then
    local keep = {}
    for _, t in ipairs(op.types) do keep[t] = true end
    local f = {}
    for _, e in ipairs(items) do
      if keep[e.type] then f[#f + 1] = e end
    end
    items = f
  end
  local order = {}
  for i, e in ipairs(items) do order[e] = i end
  table.sort(items, function(a, b)
    local ta, tb = event_sort_time(a), event_sort_time(b)
    if ta ~= tb then return ta < tb end
    return order[a] < order[b]
  end)
  local shaped = {}
  for i, e in ipairs(items) do
    e.kind, e.apiVersion = e.kind or "Event", e.apiVersion or "v1"
    shaped[i] = self:shape(e, "Event")
  end
  if #shaped == 0 then
    if op.all_namespaces then self:warn("No events found.") else
      self:warn(("No events found in %s namespace."):format(self:namespace()))
    end
  elseif op.output then
    local refs = {}
    for i, e in ipairs(shaped) do refs[i] = "event/" .. (tbl(e.metadata).name or "") end
    self:print_objects(shaped, refs, false)
  else
    local rows = {}
    if not op.no_headers then
      rows[1] = { "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE" }
      if op.all_namespaces then table.insert(rows[1], 1, "NAMESPACE") end
    end
    local now = time.now()
    for _, e in ipairs(shaped) do
      local io = tbl(e.involvedObject or e.regarding)
      local row = { event_interval(e, now), str(e.type) or "", str(e.reason) or "",
        (str(io.kind) or "") .. "/" .. (str(io.name) or ""), ((str(e.message) or str(e.note) or ""):gsub("^%s+", ""):gsub("%s+$", "")) }
      if op.all_namespaces then table.insert(row, 1, tbl(e.metadata).namespace or "") end
      rows[#rows + 1] = row
    end
    self.header_lines = op.no_headers and 0 or 1
    self:text(render.columns(rows, { gap = 3, min_width = 6 }))
  end
  if op.watch then
    self:warn("Note: -w does not stream here; these are the events up to now (call again for newer ones)")
  end
end

---------------------------------------------------------------------------------------------
-- top

local function cpu_text(cores) return ("%dm"):format(math.floor(cores * 1000 + 0.5)) end
local function mem_text(bytes) return ("%dMi"):format(math.floor(bytes / 1048576)) end

local function usage(containers)
  local cpu, mem = 0, 0
  for _, ct in ipairs(containers or {}) do
    cpu = cpu + (k8s.quantity(tbl(ct.usage).cpu) or 0)
    mem = mem + (k8s.quantity(tbl(ct.usage).memory) or 0)
  end
  return cpu, mem
end

function Run:top()
  local op = self.op
  local c = self.c
  if op.sub == "node" then
    local items = c:top_nodes({ label_selector = op.selector })
    if op.name then
      local keep = {}
      for _, m in ipairs(items) do
        if tbl(m.metadata).name == op.name then keep[#keep + 1] = m end
      end
      if #keep == 0 then return self:fail(("nodemetrics.metrics.k8s.io \"%s\" not found"):format(op.name)) end
      items = keep
    end
    local nodes = {}
    for _, n in ipairs(c:list(c:resource("nodes"), { label_selector = op.selector }).items or {}) do
      nodes[n.metadata.name] = n
    end
    local rows = {}
    for _, m in ipairs(items) do
      local u = tbl(m.usage)
      local cpu, mem = k8s.quantity(u.cpu) or 0, k8s.quantity(u.memory) or 0
      local n = nodes[m.metadata.name]
      local alloc = tbl(n and (op.show_capacity and n.status.capacity or n.status.allocatable))
      local acpu, amem = k8s.quantity(alloc.cpu), k8s.quantity(alloc.memory)
      rows[#rows + 1] = { name = m.metadata.name, cpu = cpu, mem = mem,
        cpu_pct = acpu and acpu > 0 and ("%d%%"):format(math.floor(cpu / acpu * 100)) or "<unknown>",
        mem_pct = amem and amem > 0 and ("%d%%"):format(math.floor(mem / amem * 100)) or "<unknown>" }
    end
    if op.sort_by then
      table.sort(rows, function(a, b)
        if op.sort_by == "cpu" then return a.cpu > b.cpu end
        return a.mem > b.mem
      end)
    end
    local out = {}
    if not op.no_headers then out[1] = { "NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)" } end
    for _, r in ipairs(rows) do
      out[#out + 1] = { r.name, cpu_text(r.cpu), r.cpu_pct, mem_text(r.mem), r.mem_pct }
    end
    self.header_lines = op.no_headers and 0 or 1
    return self:text(render.columns(out, { gap = 3, min_width = 6 }))
  end
  local items = c:top_pods({ namespace = self:namespace(), all_namespaces = op.all_namespaces, label_selector = op.selector })
  if op.name then
    local keep = {}
    for _, m in ipairs(items) do
      if tbl(m.metadata).name == op.name then keep[#keep + 1] = m end
    end
    if #keep == 0 then
      return self:fail(('podmetrics.metrics.k8s.io "%s/%s" not found'):format(self:namespace(), op.name))
    end
    items = keep
  end
  if #items == 0 then
    if op.all_namespaces then return self:warn("No resources found") end
    return self:warn(("No resources found in %s namespace."):format(self:namespace()))
  end
  local rows = {}
  for _, m in ipairs(items) do
    local md = tbl(m.metadata)
    if op.containers then
      for _, ct in ipairs(m.containers or {}) do
        local cpu, mem = usage({ ct })
        rows[#rows + 1] = { ns = md.namespace, pod = md.name, name = ct.name, cpu = cpu, mem = mem }
      end
    else
      local cpu, mem = usage(m.containers)
      rows[#rows + 1] = { ns = md.namespace, name = md.name, cpu = cpu, mem = mem }
    end
  end
  if op.sort_by then
    table.sort(rows, function(a, b)
      if op.sort_by == "cpu" then return a.cpu > b.cpu end
      return a.mem > b.mem
    end)
  end
  local out, head = {}, {}
  if op.all_namespaces then head[#head + 1] = "NAMESPACE" end
  if op.containers then head[#head + 1] = "POD" end
  head[#head + 1] = "NAME"
  head[#head + 1] = "CPU(cores)"
  head[#head + 1] = "MEMORY(bytes)"
  if not op.no_headers then out[1] = head end
  local tc, tm = 0, 0
  for _, r in ipairs(rows) do
    local line = {}
    if op.all_namespaces then line[#line + 1] = r.ns end
    if op.containers then line[#line + 1] = r.pod end
    line[#line + 1] = r.name
    line[#line + 1] = cpu_text(r.cpu)
    line[#line + 1] = mem_text(r.mem)
    out[#out + 1] = line
    tc, tm = tc + r.cpu, tm + r.mem
  end
  if op.sum then
    local blank = {}
    for i = 1, #head - 2 do blank[i] = "" end
    local bars, sums = {}, {}
    for i, v in ipairs(blank) do bars[i], sums[i] = v, v end
    bars[#bars + 1], bars[#bars + 2] = "________", "________"
    sums[#sums + 1], sums[#sums + 2] = cpu_text(tc), mem_text(tm)
    out[#out + 1] = bars
    out[#out + 1] = sums
  end
  self.header_lines = op.no_headers and 0 or 1
  self:text(render.columns(out, { gap = 3, min_width = 6 }))
end

---------------------------------------------------------------------------------------------
-- api-resources, api-versions, version, cluster-info

function Run:api_resources()
  local op = self.op
  local list = {}
  for _, m in ipairs(self.c:api_resources(true)) do
    local keep = m.preferred
    if keep and op.namespaced ~= nil then keep = m.namespaced == op.namespaced end
    if keep and op.api_group then keep = m.group == op.api_group end
    if keep and op.verbs then
      for _, v in ipairs(op.verbs) do
        if not has_verb(m, v) then keep = false end
      end
    end
    if keep and op.categories then
      for _, want in ipairs(op.categories) do
        local has = false
        for _, cat in ipairs(m.categories or {}) do
          if cat == want then has = true end
        end
        keep = keep and has
      end
    end
    if keep then list[#list + 1] = m end
  end
  table.sort(list, function(a, b)
    if op.sort_by == "kind" then
      if a.kind ~= b.kind then return a.kind < b.kind end
    elseif op.sort_by == "name" then
      if a.resource ~= b.resource then return a.resource < b.resource end
    end
    if a.group ~= b.group then return a.group < b.group end
    return a.resource < b.resource
  end)
  local fmt = op.output and op.output.format
  if fmt == "name" then
    for _, m in ipairs(list) do self:say(m.resource .. (m.group ~= "" and ("." .. m.group) or "")) end
    return
  end
  local rows = {}
  if not op.no_headers then
    rows[1] = { "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND" }
    if fmt == "wide" then rows[1][6], rows[1][7] = "VERBS", "CATEGORIES" end
  end
  for _, m in ipairs(list) do
    local row = { m.resource, table.concat(m.short_names or {}, ","), m.api_version, tostring(m.namespaced), m.kind }
    if fmt == "wide" then
      row[6] = table.concat(m.verbs or {}, ",")
      row[7] = table.concat(m.categories or {}, ",")
    end
    rows[#rows + 1] = row
  end
  self.header_lines = op.no_headers and 0 or 1
  self:text(render.columns(rows, { gap = 3, min_width = 6 }))
end

function Run:api_versions()
  local seen, list = {}, {}
  for _, m in ipairs(self.c:api_resources(true)) do
    if not seen[m.api_version] then
      seen[m.api_version] = true
      list[#list + 1] = m.api_version
    end
  end
  table.sort(list)
  for _, v in ipairs(list) do self:say(v) end
end

function Run:version()
  local op = self.op
  local client = { gitVersion = "ack-mcp-server", platform = "native (no kubectl binary)" }
  if op.client then
    if op.output then
      return self:text(op.output.format == "json" and jsonpath.go_json({ clientVersion = client }, "  ")
        or yaml.encode({ clientVersion = client }))
    end
    return self:say("Client Version: ack-mcp-server (native kubectl; no binary runs)")
  end
  local v = self.c:call({ path = "/version" })
  if op.output then
    local doc = { clientVersion = client, serverVersion = v }
    return self:text(op.output.format == "json" and jsonpath.go_json(doc, "  ") or yaml.encode(doc))
  end
  self:say("Client Version: ack-mcp-server (native kubectl; no binary runs)")
  self:say("Server Version: " .. tostring(v.gitVersion))
end

function Run:cluster_info()
  local c = self.c
  self:say("Kubernetes control plane is running at " .. c.server)
  local list = c:list(c:resource("services"), { namespace = "kube-system", label_selector = "kubernetes.io/cluster-service=true" })
  for _, s in ipairs(list.items or {}) do
    local md = tbl(s.metadata)
    local name = tbl(md.labels)["kubernetes.io/name"] or md.name
    local port = tbl((tbl(s.spec).ports or {})[1])
    local seg = md.name
    if str(port.name) and port.name ~= "" then seg = seg .. ":" .. port.name end
    if port.name == "https" or port.port == 443 then seg = "https:" .. seg end
    self:say(("%s is running at %s/api/v1/namespaces/kube-system/services/%s/proxy"):format(name, c.server, seg))
  end
end

---------------------------------------------------------------------------------------------
-- explain (OpenAPI v3)

local function wrap(text, width, indent)
  local out = {}
  for para in (text .. "\n"):gmatch("([^\n]*)\n") do
    local line = ""
    for word in para:gmatch("%S+") do
      if #line > 0 and #line + 1 + #word > width then
        out[#out + 1] = indent .. line
        line = word
      else
        line = #line > 0 and (line .. " " .. word) or word
      end
    end
    out[#out + 1] = indent .. line
  end
  return table.concat(out, "\n")
end

function Run:explain()
  local op = self.op
  local c = self.c
  local r = c:resource(op.api_version and (op.type .. "." .. op.api_version) or op.type)
  if op.api_version then
    local g, v = op.api_version:match("^(.+)/(.+)$")
    if not g then g, v = "", op.api_version end
    local found
    for _, m in ipairs(c:api_resources()) do
      if m.resource == r.resource and m.group == g and m.version == v then found = m end
    end
    if not found then return self:fail(("couldn't find resource for \"%s\" in %s"):format(op.type, op.api_version)) end
    r = found
  end
  local index = c:raw({ path = "/openapi/v3" })
  if index.status == 404 then
    return self:fail("the server does not serve OpenAPI v3 (/openapi/v3), which kubectl explain reads")
  end
  local idx = json.decode(index.body or "") or {}
  local key = r.group == "" and ("api/" .. r.version) or ("apis/" .. r.group .. "/" .. r.version)
  local entry = tbl(tbl(idx.paths)[key])
  local url = str(entry.serverRelativeURL) or ("/openapi/v3/" .. key)
  local path, qs = url:match("^([^?]*)%??(.*)$")
  local query = {}
  for k, v in qs:gmatch("([^&=]+)=([^&]*)") do query[k] = v end
  local doc = c:call({ path = path, query = query })
  local schemas = tbl(tbl(doc.components).schemas)
  local schema_name, schema
  for name, s in pairs(schemas) do
    for _, gvk in ipairs(tbl(s)["x-kubernetes-group-version-kind"] or {}) do
      if gvk.group == r.group and gvk.version == r.version and gvk.kind == r.kind then schema_name, schema = name, s end
    end
  end
  if not schema then return self:fail(("no OpenAPI schema for %s on this server"):format(resource_group(r))) end
  local function deref(s)
    s = tbl(s)
    local rf = s["$ref"]
    if not rf and type(s.allOf) == "table" and #s.allOf == 1 then
      local inner = deref(s.allOf[1])
      local merged = {}
      for k, v in pairs(inner) do merged[k] = v end
      if s.description then merged.description = s.description end
      return merged
    end
    if rf then
      local name = rf:match("#/components/schemas/(.+)$")
      local target = schemas[name] or {}
      local merged = {}
      for k, v in pairs(target) do merged[k] = v end
      merged._name = name
      if s.description then merged.description = s.description end
      return merged
    end
    return s
  end
  local function type_name(s)
    s = tbl(s)
    local raw = s
    s = deref(s)
    if s.type == "array" then return "[]" .. type_name(s.items) end
    if s.type == "object" and s.additionalProperties and not s.properties then
      return "map[string]" .. type_name(s.additionalProperties)
    end
    if s.type == "string" or s.type == "integer" or s.type == "number" or s.type == "boolean" then return s.type end
    if s["x-kubernetes-int-or-string"] then return "IntOrString" end
    if s._name or raw["$ref"] then return (s._name or ""):match("([^.]+)$") or "Object" end
    if s.type == "object" or s.type == nil then return "Object" end
    return s.type
  end
  if r.group ~= "" then self:say(("GROUP:      %s"):format(r.group)) end
  self:say(("KIND:       %s"):format(r.kind))
  self:say(("VERSION:    %s"):format(r.version))
  self:say("")
  local cur, field_name, field_type = deref(schema), nil, nil
  local type_desc -- the field's type's own description, which kubectl prints under the field's
  for _, part in ipairs(op.field_path) do
    local s = cur
    while s.type == "array" do s = deref(s.items) end
    local prop = tbl(s.properties)[part]
    if prop == nil then
      return self:fail(('field "%s" does not exist'):format(part))
    end
    field_name, field_type = part, type_name(prop)
    cur = deref(prop)
    while cur.type == "array" do cur = deref(cur.items) end
    type_desc = cur._name and str(tbl(schemas[cur._name]).description) or nil
    cur.description = str(tbl(prop).description) or cur.description
  end
  if field_name then
    self:say(("FIELD: %s <%s>"):format(field_name, field_type))
    self:say("")
    self:say("")
  end
  self:say("DESCRIPTION:")
  self:say(wrap(str(cur.description) or "<empty>", 76, "    "))
  if type_desc and type_desc ~= cur.description then self:say(wrap(type_desc, 76, "    ")) end
  self:say("    ")
  if next(tbl(cur.properties)) == nil then return self:say("") end
  self:say("FIELDS:")
  local function fields(s, indent, depth)
    local p = tbl(s.properties)
    local required = {}
    for _, rq in ipairs(s.required or {}) do required[rq] = true end
    for _, name in ipairs(sorted_keys(p)) do
      local f = p[name]
      local line = ("%s%s\t<%s>%s"):format(indent, name, type_name(f), required[name] and " -required-" or "")
      self:say(line)
      if op.recursive then
        local sub = deref(f)
        while sub.type == "array" do sub = deref(sub.items) end
        if depth < 12 and next(tbl(sub.properties)) ~= nil then fields(sub, indent .. "  ", depth + 1) end
      else
        self:say(wrap(str(tbl(f).description) or str(deref(f).description) or "<no description>", 80 - #indent - 2, indent .. "  "))
        self:say("")
      end
    end
  end
  fields(cur, "  ", 0)
  self:say("")
end

---------------------------------------------------------------------------------------------
-- auth

function Run:auth()
  local op = self.op
  local c = self.c
  if op.sub == "whoami" then
    local rv = c:call({ method = "POST", path = "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      body = json.encode({ apiVersion = "authentication.k8s.io/v1", kind = "SelfSubjectReview" }) })
    local ui = tbl(tbl(rv.status).userInfo)
    if op.output then
      return self:text(op.output.format == "json" and jsonpath.go_json(rv, "    ") or yaml.encode(rv))
    end
    local rows = { { "ATTRIBUTE", "VALUE" }, { "Username", ui.username or "" } }
    if str(ui.uid) then rows[#rows + 1] = { "UID", ui.uid } end
    rows[#rows + 1] = { "Groups", "[" .. table.concat(ui.groups or {}, " ") .. "]" }
    return self:text(render.columns(rows, { gap = 3, min_width = 0 }))
  end
  local ns = op.all_namespaces and "" or self:namespace()
  if op.list then
    local rv = c:call({ method = "POST", path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      body = json.encode({ apiVersion = "authorization.k8s.io/v1", kind = "SelfSubjectRulesReview", spec = { namespace = ns } }) })
    local st = tbl(rv.status)
    local rows = { { "Resources", "Non-Resource URLs", "Resource Names", "Verbs" } }
    for _, rule in ipairs(st.resourceRules or {}) do
      for _, g in ipairs(rule.apiGroups or { "" }) do
        for _, rs in ipairs(rule.resources or {}) do
          rows[#rows + 1] = { g == "" and rs or (rs .. "." .. g), "[]",
            "[" .. table.concat(rule.resourceNames or {}, " ") .. "]", "[" .. table.concat(rule.verbs or {}, " ") .. "]" }
        end
      end
    end
    for _, rule in ipairs(st.nonResourceRules or {}) do
      rows[#rows + 1] = { "", "[" .. table.concat(rule.nonResourceURLs or {}, " ") .. "]", "[]",
        "[" .. table.concat(rule.verbs or {}, " ") .. "]" }
    end
    return self:text(render.columns(rows, { gap = 3, min_width = 0 }))
  end
  local allowed, reason
  if op.non_resource_url then
    local rv = c:call({ method = "POST", path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      body = json.encode({ apiVersion = "authorization.k8s.io/v1", kind = "SelfSubjectAccessReview",
        spec = { nonResourceAttributes = { path = op.non_resource_url, verb = op.can_verb } } }) })
    allowed, reason = tbl(rv.status).allowed == true, str(tbl(rv.status).reason)
  else
    local resource, group = op.can_type, nil
    if resource ~= "*" then
      local ok, r = pcall(c.resource, c, resource)
      if ok then
        resource, group = r.resource, r.group
        if not r.namespaced and not op.all_namespaces then
          self:warn(("Warning: resource '%s' is not namespace scoped\n"):format(r.resource))
        end
      else
        self:warn(("Warning: the server doesn't have a resource type '%s'"):format(resource))
      end
    end
    local res = c:can_i(op.can_verb, resource, { namespace = ns, name = op.can_name, subresource = op.subresource, group = group })
    allowed, reason = res.allowed, res.reason
  end
  if not op.quiet then
    if allowed then self:say("yes") else
      self:say("no" .. ((reason and reason ~= "") and (" - " .. reason) or ""))
    end
  end
  if not allowed then self.exit = 1 end
end

---------------------------------------------------------------------------------------------
-- Writes

local function write_opts(self, extra)
  local o = { namespace = self:namespace(), dry_run = self.op.dry_run == "server" }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- Prints the result of a write: -o name|yaml|json, or kubectl's "ref verb" line.
function Run:wrote(r, obj, name, verb)
  local o = self.op.output
  if o and o.format ~= "name" and type(obj) == "table" then
    obj.apiVersion = obj.apiVersion or r.api_version
    obj.kind = obj.kind or r.kind
    return self:print_objects({ self:shape(obj, r.kind) }, { ref(r, name) }, true)
  end
  if o and o.format == "name" then return self:say(ref(r, name)) end
  self:say(ref(r, name) .. " " .. verb .. dry_suffix(self.op))
end

-- Whether a write changed nothing: the objects are equal but for what every write touches.
local function same_object(a, b)
  local function canon(o)
    local c = json.decode(json.encode(o))
    local md = tbl(c.metadata)
    md.resourceVersion, md.managedFields, md.generation = nil, nil, nil
    return jsonpath.go_json(c)
  end
  return canon(a) == canon(b)
end

local function conflict_hint(e)
  if type(e) == "table" and e.code == "Conflict" and tostring(e.message):find("^Apply failed") then
    e.message = e.message .. " (add --force-conflicts to take these fields over)"
  end
  return e
end

function Run:apply()
  local op = self.op
  local c = self.c
  for _, obj in ipairs(self:manifest_objects()) do
    local ok, err = pcall(function()
      local r = c:resource_for(obj.apiVersion, obj.kind)
      local ns = self:object_namespace(r, obj)
      local name = obj.metadata.name
      local live = c:try_get(r, name, { namespace = ns })
      if op.dry_run == "client" then
        return self:wrote(r, obj, name, live and "configured" or "created")
      end
      local after = c:apply(obj, { namespace = ns, dry_run = op.dry_run == "server", force = op.force_conflicts })
      local verb
      if op.server_side then
        verb = "serverside-applied"
      elseif not live then
        verb = "created"
      elseif same_object(live, after) then
        verb = "unchanged"
      else
        verb = "configured"
      end
      self:wrote(r, after, name, verb)
    end)
    if not ok then self:fail(conflict_hint(err)) end
  end
end

-- Objects for `create namespace|configmap|secret|serviceaccount|deployment NAME`.
local function generated(op)
  if op.sub == "namespace" then
    return { apiVersion = "v1", kind = "Namespace", metadata = { name = op.name } }
  elseif op.sub == "serviceaccount" then
    return { apiVersion = "v1", kind = "ServiceAccount", metadata = { name = op.name } }
  elseif op.sub == "configmap" or op.sub == "secret" then
    local data = {}
    for _, l in ipairs(op.literals) do
      if data[l.key] ~= nil then
        error({ code = "InvalidCommand", message = ('cannot add key %s, another key by that name already exists'):format(l.key) }, 0)
      end
      data[l.key] = op.sub == "secret" and mcp.base64(l.value) or l.value
    end
    local obj = { apiVersion = "v1", kind = op.sub == "secret" and "Secret" or "ConfigMap", metadata = { name = op.name } }
    if next(data) then obj.data = data end
    if op.sub == "secret" then obj.type = op.secret_type or "Opaque" end
    return obj
  elseif op.sub == "deployment" then
    local containers = json.array()
    for _, image in ipairs(op.images) do
      local base = image:match("([^/:@]+)[:@]?[^/]*$") or "app"
      base = base:lower():gsub("[^a-z0-9-]", "-")
      local ct = { name = base, image = image }
      if op.port then ct.ports = json.array({ { containerPort = op.port } }) end
      containers[#containers + 1] = ct
    end
    return { apiVersion = "apps/v1", kind = "Deployment",
      metadata = { name = op.name, labels = { app = op.name } },
      spec = { replicas = op.replicas, selector = { matchLabels = { app = op.name } },
        template = { metadata = { labels = { app = op.name } }, spec = { containers = containers } } } }
  end
end

function Run:create()
  local op = self.op
  local c = self.c
  local objs = op.stdin and self:manifest_objects() or { generated(op) }
  for _, obj in ipairs(objs) do
    local ok, err = pcall(function()
      local r = c:resource_for(obj.apiVersion, obj.kind)
      local ns = self:object_namespace(r, obj)
      local name = obj.metadata.name
      if op.dry_run == "client" then return self:wrote(r, obj, name, "created") end
      local after = c:create(r, obj, { namespace = ns, dry_run = op.dry_run == "server" })
      self:wrote(r, after, name, "created")
    end)
    if not ok then
      if op.stdin and type(err) == "table" and err.status then
        err.message = 'error when creating "STDIN": ' .. tostring(err.message)
      end
      self:fail(err)
    end
  end
end

-- The objects a write verb names: {r=, name=, ns=} from TYPE NAME, a selector, --all or -f -.
function Run:targets()
  local op = self.op
  local c = self.c
  local out = {}
  if op.stdin then
    for _, obj in ipairs(self:manifest_objects()) do
      local r = c:resource_for(obj.apiVersion, obj.kind)
      out[#out + 1] = { r = r, name = obj.metadata.name, ns = self:object_namespace(r, obj) }
    end
    return out
  end
  for _, g in ipairs(op.resources) do
    local rs = self:resolve(g.type)
    for _, r in ipairs(rs) do
      if #g.names > 0 then
        for _, n in ipairs(g.names) do out[#out + 1] = { r = r, name = n, ns = self:namespace() } end
      else
        local list = self:try(c.list, c, r, list_opts(self, r, { table = true }))
        for _, row in ipairs(list and list.rows or {}) do
          local md = tbl(tbl(row.object).metadata)
          out[#out + 1] = { r = r, name = md.name, ns = md.namespace or self:namespace() }
        end
        if list and #(list.rows or {}) == 0 then self:none_found(r.namespaced) end
      end
    end
  end
  return out
end

function Run:delete()
  local op = self.op
  local c = self.c
  for _, t in ipairs(self:targets()) do
    if op.dry_run == "client" then
      local live = self:try(c.get, c, t.r, t.name, { namespace = t.ns })
      if live then self:say(quoted(t.r, t.name) .. " deleted (dry run)") end
    else
      local ok, err = pcall(c.delete, c, t.r, t.name, write_opts(self, {
        namespace = t.ns, propagation = op.propagation, grace_period = op.grace_period }))
      if ok then
        if op.output and op.output.format == "name" then self:say(ref(t.r, t.name))
        else self:say(quoted(t.r, t.name) .. " deleted" .. dry_suffix(op)) end
      elseif not (op.ignore_not_found and type(err) == "table" and err.code == "NotFound") then
        self:fail(err)
      end
    end
  end
end

function Run:patch()
  local op = self.op
  local c = self.c
  local body = op.patch_object
  if op.patch_yaml then
    local ok, v = pcall(yaml.decode, op.patch)
    if not ok or type(v) ~= "table" then
      return self:fail(("unable to parse %q: the patch is neither JSON nor YAML"):format(op.patch))
    end
    body = v
  end
  local g = op.resources[1]
  local r = c:resource(g.type)
  for _, name in ipairs(g.names) do
    local ok, err = pcall(function()
      local before = c:get(r, name, { namespace = self:namespace() })
      if op.dry_run == "client" then return self:wrote(r, before, name, "patched") end
      local after = c:patch(r, name, body, write_opts(self, { type = op.patch_type, subresource = op.subresource }))
      local same = same_object(before, after)
      self:wrote(r, after, name, same and "patched (no change)" or "patched")
    end)
    if not ok then self:fail(err) end
  end
end

function Run:scale()
  local op = self.op
  local c = self.c
  for _, t in ipairs(self:targets()) do
    local ok, err = pcall(function()
      local obj = c:get(t.r, t.name, { namespace = t.ns })
      local cur = tbl(obj.spec).replicas
      if op.current_replicas and cur ~= op.current_replicas then
        error({ code = "Precondition", message = ("Expected replicas to be %d, was %s"):format(op.current_replicas, tostring(cur)) }, 0)
      end
      if op.resource_version and tbl(obj.metadata).resourceVersion ~= op.resource_version then
        error({ code = "Conflict", status = 409, message = ("Operation cannot be fulfilled on %s \"%s\": the object has "
          .. "been modified; please apply your changes to the latest version and try again"):format(resource_group(t.r), t.name) }, 0)
      end
      if op.dry_run == "client" then return self:wrote(t.r, nil, t.name, "scaled") end
      local patch = { spec = { replicas = op.replicas } }
      c:patch(t.r, t.name, patch, write_opts(self, { namespace = t.ns, type = "merge", subresource = "scale" }))
      self:wrote(t.r, nil, t.name, "scaled")
    end)
    if not ok then self:fail(err) end
  end
end

-- kubectl rollout status wording; returns done, message, failed.
local function rollout_status(r, o, revision)
  local kind = r.kind
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
    if str(s.updateRevision) and s.currentRevision ~= s.updateRevision then
      return false, ("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated..."):format(
        s.updatedReplicas or 0, want)
    end
    return true, ("statefulset rolling update complete %d pods at revision %s..."):format(ready, tostring(s.currentRevision))
  end
  return false, ("no status viewer has been implemented for %s"):format(kind), true
end

local function owned_by(obj, uid)
  for _, rf in ipairs(tbl(obj.metadata).ownerReferences or {}) do
    if rf.uid == uid then return true end
  end
  return false
end

-- A Deployment's revisions from its ReplicaSets: { {revision=, cause=, template=, name=} }, oldest first.
function Run:deploy_history(o)
  local c = self.c
  local md = o.metadata
  local out = {}
  for _, rs in ipairs(c:list(c:resource("replicasets.apps"), { namespace = md.namespace }).items or {}) do
    if owned_by(rs, md.uid) then
      local a = tbl(rs.metadata.annotations)
      out[#out + 1] = { revision = tonumber(a["deployment.kubernetes.io/revision"]) or 0,
        cause = a["kubernetes.io/change-cause"], template = tbl(rs.spec).template, name = rs.metadata.name }
    end
  end
  table.sort(out, function(a, b) return a.revision < b.revision end)
  return out
end

local function template_equal(a, b)
  local function strip(t)
    local cp = json.decode(json.encode(t or {}))
    local labels = tbl(tbl(cp.metadata).labels)
    labels["pod-template-hash"] = nil
    return jsonpath.go_json(cp)
  end
  return strip(a) == strip(b)
end

function Run:rollout()
  local op = self.op
  local c = self.c
  for _, t in ipairs(self:targets()) do
    local ok, err = pcall(function()
      local r, name = t.r, t.name
      if r.kind ~= "Deployment" and r.kind ~= "StatefulSet" and r.kind ~= "DaemonSet" then
        error({ code = "Unsupported", message = ('no rollout %s has been implemented for %q'):format(
          op.sub == "status" and "status viewer" or op.sub, resource_group(r)) }, 0)
      end
      local o = c:get(r, name, { namespace = t.ns })
      if op.sub == "status" then
        local done, msg, failed = rollout_status(r, o, op.revision)
        local limit = math.min(op.timeout or WAIT_DEFAULT, WAIT_DEFAULT)
        if op.timeout == 0 then limit = WAIT_DEFAULT end
        local deadline = time.monotonic() + limit
        local last
        while op.watch and not done and not failed do
          if msg ~= last then self:say(msg); last = msg end
          if time.monotonic() >= deadline then
            error({ code = "Timeout", message = "timed out waiting for the condition" }, 0)
          end
          if self.env.ctx then self.env.ctx.progress(tbl(o.status).updatedReplicas or 0, tbl(o.spec).replicas, msg) end
          time.sleep(1)
          o = c:get(r, name, { namespace = t.ns })
          done, msg, failed = rollout_status(r, o, op.revision)
        end
        if failed then error({ code = "RolloutFailed", message = msg }, 0) end
        self:say(msg)
        return
      end
      if op.sub == "restart" then
        if tbl(o.spec).paused then
          error({ code = "Invalid", message = ("can't restart paused %s (run rollout resume first)"):format(r.kind:lower()) }, 0)
        end
        local patch = { spec = { template = { metadata = { annotations = {
          ["kubectl.kubernetes.io/restartedAt"] = time.iso() } } } } }
        c:patch(r, name, patch, write_opts(self, { namespace = t.ns, type = "strategic" }))
        return self:say(ref(r, name) .. " restarted" .. dry_suffix(op))
      end
      if op.sub == "pause" or op.sub == "resume" then
        local want = op.sub == "pause"
        if (tbl(o.spec).paused == true) == want then
          return self:say(ref(r, name) .. " already " .. (want and "paused" or "resumed"))
        end
        c:patch(r, name, { spec = { paused = want and true or null } }, write_opts(self, { namespace = t.ns, type = "merge" }))
        return self:say(ref(r, name) .. " " .. (want and "paused" or "resumed") .. dry_suffix(op))
      end
      if r.kind ~= "Deployment" then
        error({ code = "Unsupported", message = ("rollout %s of a %s needs controllerrevisions; use k8s_rollout"):format(op.sub, r.kind) }, 0)
      end
      local revs = self:deploy_history(o)
      if op.sub == "history" then
        if op.revision then
          for _, h in ipairs(revs) do
            if h.revision == op.revision then
              self:say(("%s with revision #%d"):format(ref(r, name), h.revision))
              self:say("Pod Template:")
              local tpl = yaml.encode(self:shape(h.template))
              self:text((tpl:gsub("([^\n]+)", "  %1")))
              return
            end
          end
          error({ code = "NotFound", message = ("unable to find the specified revision") }, 0)
        end
        self:say(ref(r, name) .. " ")
        local rows = { { "REVISION", "CHANGE-CAUSE" } }
        for _, h in ipairs(revs) do rows[#rows + 1] = { tostring(h.revision), h.cause or "<none>" } end
        self:text(render.columns(rows, { gap = 2, min_width = 0 }))
        self:say("")
        return
      end
      -- undo
      if #revs == 0 then error({ code = "NotFound", message = ('no rollout history found for deployment "%s"'):format(name) }, 0) end
      local target
      if op.to_revision and op.to_revision > 0 then
        for _, h in ipairs(revs) do
          if h.revision == op.to_revision then target = h end
        end
        if not target then
          error({ code = "NotFound", message = ("unable to find specified revision %d in history"):format(op.to_revision) }, 0)
        end
      else
        if #revs < 2 then error({ code = "NotFound", message = ('no rollout history found for deployment "%s"'):format(name) }, 0) end
        target = revs[#revs - 1]
      end
      if template_equal(target.template, tbl(o.spec).template) then
        return self:say(("%s skipped rollback (current template already matches revision %d)"):format(ref(r, name), target.revision))
      end
      local tpl = json.decode(json.encode(target.template))
      local labels = tbl(tbl(tpl.metadata).labels)
      labels["pod-template-hash"] = nil
      c:patch(r, name, json.array({ { op = "replace", path = "/spec/template", value = tpl } }),
        write_opts(self, { namespace = t.ns, type = "json" }))
      self:say(ref(r, name) .. " rolled back" .. dry_suffix(op))
    end)
    if not ok then self:fail(err) end
  end
end

-- label and annotate: merge patches of metadata.labels / metadata.annotations.
function Run:meta_change(field, verb)
  local op = self.op
  local c = self.c
  for _, t in ipairs(self:targets()) do
    local ok, err = pcall(function()
      local obj = c:get(t.r, t.name, { namespace = t.ns })
      local cur = tbl(tbl(obj.metadata)[field])
      if op.list then
        for _, k in ipairs(sorted_keys(cur)) do
          local v = cur[k]
          if field == "annotations" and not show_secrets() then v = self:redact_text(tostring(v)) end
          self:say(k .. "=" .. tostring(v))
        end
        return
      end
      local change, changed = {}, false
      for _, ch in ipairs(op.changes) do
        local old = cur[ch.key]
        if old ~= nil and old ~= ch.value and not op.overwrite then
          error({ code = "Invalid", message = ("'%s' already has a value (%s), and --overwrite is false"):format(ch.key, tostring(old)) }, 0)
        end
        if old ~= ch.value then changed = true end
        change[ch.key] = ch.value
      end
      for _, k in ipairs(op.removes) do
        if cur[k] == nil then
          self:warn(('%s "%s" not found.'):format(verb == "labeled" and "label" or "annotation", k))
        else
          change[k] = null
          changed = true
        end
      end
      if not changed then return self:say(ref(t.r, t.name) .. " not " .. verb) end
      if op.dry_run == "client" then return self:wrote(t.r, nil, t.name, verb) end
      local patch = { metadata = { [field] = change } }
      if op.resource_version then patch.metadata.resourceVersion = op.resource_version end
      local after = c:patch(t.r, t.name, patch, write_opts(self, { namespace = t.ns, type = "merge" }))
      self:wrote(t.r, after, t.name, verb)
    end)
    if not ok then self:fail(err) end
  end
end

function Run:node_targets()
  local c = self.c
  local r = c:resource("nodes")
  if self.op.selector then
    local out = {}
    for _, n in ipairs(c:list(r, { label_selector = self.op.selector }).items or {}) do out[#out + 1] = n.metadata.name end
    if #out == 0 then self:warn("No resources found") end
    return r, out
  end
  return r, self.op.nodes
end

function Run:cordon(on, quiet)
  local op = self.op
  local c = self.c
  local r, names = self:node_targets()
  for _, name in ipairs(names) do
    local ok, err = pcall(function()
      local node = c:get(r, name)
      local word = on and "cordoned" or "uncordoned"
      if (tbl(node.spec).unschedulable == true) == on then
        return self:say(("node/%s already %s"):format(name, word))
      end
      if op.dry_run ~= "client" then
        c:patch(r, name, { spec = { unschedulable = on and true or null } }, write_opts(self, { type = "merge" }))
      end
      self:say(("node/%s %s%s"):format(name, word, dry_suffix(op)))
    end)
    if not ok then
      self:fail(err)
      if quiet then return false end
    end
  end
  return self.exit == 0
end

-- k8s.io/apimachinery's error aggregate: one error as it is, several as "[a, b]".
local function aggregate(msgs)
  if #msgs == 1 then return msgs[1] end
  return "[" .. table.concat(msgs, ", ") .. "]"
end

-- drain: cordon, then evict (or delete) every pod on the node that may go, as kubectl.
function Run:drain()
  local op = self.op
  local c = self.c
  if not self:cordon(true, true) then return end
  local _, names = self:node_targets()
  local pods_r = c:resource("pods")
  for _, node in ipairs(names) do
    local pods = c:list(pods_r, { all_namespaces = true, field_selector = "spec.nodeName=" .. node,
      label_selector = op.pod_selector }).items or {}
    local go, ds, problems = {}, {}, {}
    local function add_problem(kind, what)
      problems[kind] = problems[kind] or {}
      table.insert(problems[kind], what)
    end
    for _, p in ipairs(pods) do
      local md = tbl(p.metadata)
      local id = md.namespace .. "/" .. md.name
      local phase = tbl(p.status).phase
      local finished = phase == "Succeeded" or phase == "Failed"
      local owner
      for _, o in ipairs(md.ownerReferences or {}) do
        if o.controller then owner = o end
      end
      if tbl(md.annotations)["kubernetes.io/config.mirror"] then
        -- mirror pods belong to the kubelet
      elseif owner and owner.kind == "DaemonSet" then
        if op.ignore_daemonsets then ds[#ds + 1] = id else add_problem("ds", id) end
      else
        local ok_pod = true
        if not owner and not finished and not op.force then add_problem("bare", id); ok_pod = false end
        if not finished then
          for _, v in ipairs(tbl(p.spec).volumes or {}) do
            if v.emptyDir ~= nil and not op.delete_emptydir_data then add_problem("local", id); ok_pod = false; break end
          end
        end
        if ok_pod then go[#go + 1] = p end
      end
    end
    local msgs = {}
    if problems.ds then
      msgs[#msgs + 1] = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): " .. table.concat(problems.ds, ", ")
    end
    if problems.bare then
      msgs[#msgs + 1] = "cannot delete Pods that declare no controller (use --force to override): " .. table.concat(problems.bare, ", ")
    end
    if problems["local"] then
      msgs[#msgs + 1] = "cannot delete Pods with local storage (use --delete-emptydir-data to override): " .. table.concat(problems["local"], ", ")
    end
    if #msgs > 0 then
      self.exit = 1
      self:warn(("error: unable to drain node %q due to error: %s, continuing command..."):format(node, aggregate(msgs)))
      self:warn("There are pending nodes to be drained:")
      self:warn(" " .. node)
      for _, m in ipairs(msgs) do self:warn(m) end
      return
    end
    if #ds > 0 then self:warn("Warning: ignoring DaemonSet-managed Pods: " .. table.concat(ds, ", ")) end
    local limit = math.min(op.timeout and op.timeout > 0 and op.timeout or WAIT_DEFAULT, WAIT_DEFAULT)
    local deadline = time.monotonic() + limit
    local failed = {}
    for _, p in ipairs(go) do
      local md = p.metadata
      local path = c:path(pods_r, md.namespace, md.name, "eviction")
      if not op.disable_eviction then self:say(("evicting pod %s/%s%s"):format(md.namespace, md.name, dry_suffix(op))) end
      local done = false
      while not done do
        local ok, err
        if op.dry_run == "client" then
          ok = true
        elseif op.disable_eviction then
          ok, err = pcall(c.delete, c, pods_r, md.name, write_opts(self, { namespace = md.namespace, grace_period = op.grace_period }))
        else
          local body = { apiVersion = "policy/v1", kind = "Eviction", metadata = { name = md.name, namespace = md.namespace } }
          local del = {}
          if op.grace_period then del.gracePeriodSeconds = op.grace_period end
          if op.dry_run == "server" then del.dryRun = json.array({ "All" }) end
          if next(del) then body.deleteOptions = del end
          ok, err = pcall(c.call, c, { method = "POST", path = path, body = json.encode(body),
            query = op.dry_run == "server" and { dryRun = "All" } or nil })
        end
        if ok or (type(err) == "table" and err.code == "NotFound") then
          -- kubectl reports each pod gone, except in a dry run (nothing goes)
          if not op.dry_run then self:say(("pod/%s %s"):format(md.name, op.disable_eviction and "deleted" or "evicted")) end
          done = true
        elseif type(err) == "table" and err.status == 429 and time.monotonic() + EVICT_RETRY < deadline then
          self:warn(('error when evicting pods/"%s" -n "%s" (will retry after %ds): %s'):format(md.name, md.namespace,
            EVICT_RETRY, tostring(err.message)))
          time.sleep(EVICT_RETRY)
        else
          local why = type(err) == "table" and err.status == 429 and ("global timeout reached: %ds"):format(limit)
            or (type(err) == "table" and tostring(err.message) or tostring(err))
          failed[#failed + 1] = ('error when evicting pods/"%s" -n "%s": %s'):format(md.name, md.namespace, why)
          if type(err) ~= "table" then error(err, 0) end
          done = true
        end
      end
    end
    if #failed > 0 then
      self.exit = 1
      self:warn(("error: unable to drain node %q due to error: %s, continuing command..."):format(node, aggregate(failed)))
      self:warn("There are pending nodes to be drained:")
      self:warn(" " .. node)
      return
    end
    self:say(("node/%s drained%s"):format(node, dry_suffix(op)))
  end
end

function Run:diff()
  local op = self.op
  local c = self.c
  local ok_diff, difflib = pcall(require, "diff")
  if not ok_diff then return self:fail("diff is not available in this build (lua/diff.lua is missing)") end
  local any = false
  for _, obj in ipairs(self:manifest_objects()) do
    local ok, err = pcall(function()
      local r = c:resource_for(obj.apiVersion, obj.kind)
      local ns = self:object_namespace(r, obj)
      local name = obj.metadata.name
      local live = c:try_get(r, name, { namespace = ns })
      local after = c:apply(obj, { namespace = ns, dry_run = true, force = op.force_conflicts })
      local function text(o)
        if not o then return "" end
        local s = self:shape(o, r.kind)
        local md = tbl(s.metadata)
        md.generation, md.resourceVersion, md.managedFields = nil, nil, nil
        -- rebuilt from sorted JSON so both sides' keys were inserted in the same order and
        -- the encoder walks them the same way: a diff shows changes, not table layouts
        return yaml.encode(json.decode(jsonpath.go_json(s)))
      end
      local a, b = text(live), text(after)
      if a ~= b then
        any = true
        local id = ("%s.%s.%s.%s"):format(r.group ~= "" and r.group or "v1", r.version, r.kind, (ns and ns ~= "") and (ns .. "." .. name) or name)
        self:text(difflib.unified(a, b, { a_label = "LIVE/" .. id, b_label = "MERGED/" .. id }))
      end
    end)
    if not ok then self:fail(conflict_hint(err)) end
  end
  if any and self.exit == 0 then self.exit = 1 end
end

---------------------------------------------------------------------------------------------

local DISPATCH = {
  get = Run.get, describe = Run.describe, logs = Run.logs, events = Run.events, top = Run.top,
  ["api-resources"] = Run.api_resources, ["api-versions"] = Run.api_versions, version = Run.version,
  ["cluster-info"] = Run.cluster_info, explain = Run.explain, auth = Run.auth,
  apply = Run.apply, create = Run.create, delete = Run.delete, patch = Run.patch, scale = Run.scale,
  rollout = Run.rollout, diff = Run.diff, drain = Run.drain,
  label = function(self) return self:meta_change("labels", "labeled") end,
  annotate = function(self) return self:meta_change("annotations", "annotated") end,
  cordon = function(self) return self:cordon(true) end,
  uncordon = function(self) return self:cordon(false) end,
}

-- Runs op (from kubectl.parse) and returns { stdout, stderr, exit_code, truncated }.
-- Raises only what stops any command from running: no cluster (NoCluster), an empty or
-- malformed manifest (InvalidCommand, InvalidManifest), and bugs.
function M.run(op, env)
  local self = new_run(op, env)
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
