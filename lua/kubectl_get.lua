-- kubectl_get.lua: `kubectl get` for ack_kubectl (owner: the kubectl task): the API server's
-- Tables printed as kubectl prints them (several types, -A, -L, --show-labels, --sort-by),
-- -o name|json|yaml|jsonpath|custom-columns, --raw, a bounded -w, and paging that stops at
-- the output budget with an exact --continue token for the first row not shown.

local k8s = require("k8s")
local render = require("render")
local redact = require("redact")
local jsonpath = require("jsonpath")
local R = require("kubectl_run")
local Run = R.Run
local null, tbl, str, is_null, sorted_keys, show_secrets = R.null, R.tbl, R.str, R.is_null, R.sorted_keys, R.show_secrets
local kind_group, ref, quoted, resource_group, dry_suffix = R.kind_group, R.ref, R.quoted, R.resource_group, R.dry_suffix
local has_verb, list_opts, continue_of = R.has_verb, R.list_opts, R.continue_of

local PAGE = 500                   -- kubectl's default --chunk-size
local MAX_FETCH_BYTES = 2 << 20    -- objects read for -o jsonpath/custom-columns before stopping
local OBJECT_PAGE = 100            -- page size for -o json/yaml, which fill the budget quickly
local SORT_MAX_ROWS = 1000         -- --sort-by reads whole objects: sort at most this many
local WATCH_DEFAULT = 30           -- seconds a -w watch runs without --request-timeout

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
  until not token or op.limit or (bytes > budget and not op.sort_by) or #rows >= SORT_MAX_ROWS
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
    -- the body as the server sent it, unless a secret had to be hidden
    local decoded = json.decode(body)
    if type(decoded) == "table" then
      local shaped, n = redact.object(decoded)
      if n > 0 then
        self.redacted = self.redacted + n
        body = jsonpath.go_json(shaped)
      end
    end
  end
  self:text(body)
  self.no_newline = body:sub(-1) ~= "\n"
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
  local groups = self:groups()
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
    if paged and not op.sort_by then
      self:cut_table(paged.r, paged.t, paged.token, paged.remaining, paged.tokens)
    elseif paged and paged.token then
      self:warn(("Note: sorted the first %d %s only; %s more on the server (narrow with -l or --field-selector)"):format(
        #paged.t.rows, paged.r.resource, paged.remaining and tostring(paged.remaining) or "some"))
      self.truncated = true
    end
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

return { get = Run.get }
