-- redact.lua: hides credentials in Kubernetes objects and free text before any of it
-- reaches a client or a log (issue #5, "redaction on by default"). Pure Lua: runs in the
-- server's sandbox and under plain busted. Owned by the kubernetes tool set.
--
--   redact.object(obj [, opts]) -> copy, count   a Kubernetes object, a List, or a Table
--   redact.text(s)              -> text, count   log lines, event messages, describe output
--   redact.marker(value)        -> "<redacted: N bytes, fnv:xxxxxxxx>"
--   redact.credential_name(name) -> whether an env var name looks like a credential
--
-- A value is replaced by a marker that keeps its length and a 32-bit FNV-1a hash. The hash
-- is not cryptographic on purpose: it only lets a reader see that two values are equal or
-- that one changed between calls without showing either; it is short, needs no library, and
-- 32 bits of a value the reader cannot see reveal nothing useful (a low-entropy secret could
-- be guessed offline from any hash, so a stronger one would not change that).

local V = require("value")
local render = require("render")

local M = {}

local find, sub, byte, lower, upper, format = string.find, string.sub, string.byte,
  string.lower, string.upper, string.format

local LAST_APPLIED = render.LAST_APPLIED

-- FNV-1a, 32 bits, over the bytes of s.
local function fnv1a(s)
  local h = 0x811c9dc5
  for i = 1, #s, 64 do
    local bytes = { byte(s, i, i + 63) }
    for j = 1, #bytes do
      h = ((h ~ bytes[j]) * 0x01000193) & 0xffffffff
    end
  end
  return h
end

function M.marker(value)
  return format("<redacted: %d bytes, fnv:%08x>", #value, fnv1a(value))
end

local B64 = {}
for i = 1, 64 do
  B64[byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", i)] = i - 1
end

-- Standard base64 (Secret data) to bytes, or nil when s is not base64.
local function unbase64(s)
  if #s % 4 ~= 0 or find(s, "[^%w%+/=]") or find(s, "=[^=]") or find(s, "===") then return nil end
  local out, n = {}, 0
  for i = 1, #s, 4 do
    local a, b, c, d = byte(s, i, i + 3)
    a, b, c, d = B64[a], B64[b], B64[c], B64[d]
    if a == nil or b == nil then return nil end
    local v = a << 18 | b << 12 | (c or 0) << 6 | (d or 0)
    n = n + 1
    if c == nil then
      out[n] = string.char(v >> 16)
    elseif d == nil then
      out[n] = string.char(v >> 16, (v >> 8) & 255)
    else
      out[n] = string.char(v >> 16, (v >> 8) & 255, v & 255)
    end
  end
  return table.concat(out)
end

local is_null, is_list = V.is_null, V.is_list

-- ---------------------------------------------------------------------------------------
-- Free text

-- Keys whose value is a credential, matched at the end of the key once it is lower-cased
-- and '-'/'.' are folded to '_': db_password, client-secret, x-api-key, refresh_token,
-- client-key-data. Matching the end keeps "tokens: 5" and "secretName: x" visible.
local KEY_SUFFIXES = { "password", "passwd", "passphrase", "secret", "token", "apikey",
                       "api_key", "access_key", "secret_key", "private_key", "key_data",
                       "credential", "credentials" }
local KEY_EXACT = { auth = true, pwd = true, pass = true }
local NOT_VALUES = { ["true"] = true, ["false"] = true, ["null"] = true, ["~"] = true }

local function key_is_credential(key)
  key = lower(key):gsub("^%-+", ""):gsub("[%-%.]", "_")
  if KEY_EXACT[key] or key:sub(-5) == "_auth" then return true end
  for _, s in ipairs(KEY_SUFFIXES) do
    if #key >= #s and sub(key, -#s) == s then return true end
  end
  return false
end

-- Each scanner collects {from, to, marker} spans, left to right and disjoint, which are
-- applied before the next scanner runs; no scanner matches a marker.
local function add(spans, i, j, text)
  spans[#spans + 1] = { i, j, text }
end

-- PEM private key blocks, BEGIN to END (or to the end of a cut-off text).
local function scan_pem(s, spans)
  local init = 1
  while true do
    local i, e, label = find(s, "%-%-%-%-%-BEGIN ([%w ]-)%-%-%-%-%-", init)
    if not i then return end
    if find(label, "PRIVATE KEY", 1, true) then
      local _, j = find(s, "-----END " .. label .. "-----", e + 1, true)
      j = j or #s
      add(spans, i, j, M.marker(sub(s, i, j)))
      init = j + 1
    else
      init = e + 1
    end
  end
end

-- JWTs: three base64url segments, the first two starting with eyJ ({"), over 40 bytes.
local function scan_jwt(s, spans)
  local init = 1
  while true do
    local i = find(s, "eyJ", init, true)
    if not i then return end
    local jwt = s:match("^eyJ[%w_%-]+%.[%w_%-]+%.[%w_%-]*", i)
    if jwt and #jwt > 40 then
      add(spans, i, i + #jwt - 1, M.marker(jwt))
      init = i + #jwt
    else
      init = i + 3
    end
  end
end

-- "Bearer <token>" anywhere; "Authorization: Basic <base64>" only after the header name,
-- since "basic" is an ordinary word.
local function scan_auth_schemes(s, spans)
  for start, tok in s:gmatch("[Bb][Ee][Aa][Rr][Ee][Rr]%s+()([%w%-%._~%+/]+=*)") do
    -- A token has a digit or punctuation; "bearer authentication" is prose.
    if #tok >= 8 and find(tok, "[%d%-%._~%+/=]") then
      add(spans, start, start + #tok - 1, M.marker(tok))
    end
  end
  for start, tok in s:gmatch("[Aa]uthorization[\"']?%s*[:=]%s*[\"']?[Bb]asic%s+()([%w%+/]+=*)") do
    add(spans, start, start + #tok - 1, M.marker(tok))
  end
end

-- scheme://user:password@host: only the password.
local function scan_url_userinfo(s, spans)
  local init = 1
  while true do
    local _, e = find(s, "://", init, true)
    if not e then return end
    local user, pass = s:match("^([^/%s:@]*):([^/%s@]+)@", e + 1)
    if pass then
      local i = e + 1 + #user + 1
      add(spans, i, i + #pass - 1, M.marker(pass))
    end
    init = e + 1
  end
end

-- key=value, key: value, "key": "value", --key=value, with a credential-looking key. Scans
-- the separators and looks back at most 64 bytes for the key, so a long run of word
-- characters costs linear time (a pattern anchored on the key would backtrack).
local KEY_CHAR = {}
for c = 0, 255 do
  local ch = string.char(c)
  KEY_CHAR[c] = ch:find("[%w_%.%-]") ~= nil
end

local function scan_pairs(s, spans)
  local init = 1
  while true do
    local sep = find(s, "[:=]", init)
    if not sep then return end
    init = sep + 1
    local k = sep - 1
    while k >= 1 and (byte(s, k) == 32 or byte(s, k) == 9) do k = k - 1 end
    if k >= 1 and (byte(s, k) == 34 or byte(s, k) == 39) then k = k - 1 end
    local kend, kstart = k, k
    while kstart >= 1 and kend - kstart < 64 and KEY_CHAR[byte(s, kstart)] do kstart = kstart - 1 end
    if kend > kstart and key_is_credential(sub(s, kstart + 1, kend)) then
      local v = sep + 1
      while byte(s, v) == 32 or byte(s, v) == 9 do v = v + 1 end
      local q = byte(s, v)
      local vstart, vend
      if q == nil or q == 123 or q == 91 or q == 10 or q == 13 then
        -- no value here: end of text, a nested object or list, or a YAML block
      elseif q == 34 or q == 39 then
        local close = find(s, q == 34 and '["\n]' or "['\n]", v + 1)
        if close and byte(s, close) == q then vstart, vend = v + 1, close - 1 end
      elseif byte(s, sep) == 61 then -- '=': a shell/query/log value ends at a delimiter
        vstart = v
        vend = (find(s, "[%s,;&\"'<>%)}%]]", v) or #s + 1) - 1
      else -- ':': a YAML or header value runs to the end of the line (or of a JSON value)
        vstart = v
        vend = (find(s, "[\r\n,}%]]", v) or #s + 1) - 1
        while vend >= vstart and (byte(s, vend) == 32 or byte(s, vend) == 9 or byte(s, vend) == 59) do
          vend = vend - 1
        end
      end
      if vstart and vend >= vstart then
        local value = sub(s, vstart, vend)
        if not NOT_VALUES[value] and sub(value, 1, 10) ~= "<redacted:" then
          add(spans, vstart, vend, M.marker(value))
          init = vend + 1
        end
      end
    end
  end
end

-- Command-line flags with a separate value: --client-secret xyz, --token abc.
local function scan_flags(s, spans)
  for key, start, value in s:gmatch("%-%-([%w_%-]+)[ \t]+()([^%s\"']+)") do
    if key_is_credential(key) and byte(value, 1) ~= 45 and not NOT_VALUES[value]
       and sub(value, 1, 10) ~= "<redacted:" then
      add(spans, start, start + #value - 1, M.marker(value))
    end
  end
end

local function apply(s, spans)
  if #spans == 0 then return s, 0 end
  table.sort(spans, function(a, b) return a[1] < b[1] end)
  local out, pos = {}, 1
  for _, sp in ipairs(spans) do
    out[#out + 1] = sub(s, pos, sp[1] - 1)
    out[#out + 1] = sp[3]
    pos = sp[2] + 1
  end
  out[#out + 1] = sub(s, pos)
  return table.concat(out), #spans
end

local TEXT_SCANNERS = { scan_pem, scan_auth_schemes, scan_jwt, scan_url_userinfo, scan_pairs,
                        scan_flags }
local VALUE_SCANNERS = { scan_pem, scan_auth_schemes, scan_jwt }

local function run(s, scanners)
  local total = 0
  for _, scan in ipairs(scanners) do
    local spans = {}
    scan(s, spans)
    local n
    s, n = apply(s, spans)
    total = total + n
  end
  return s, total
end

-- Free text: PEM private keys, bearer/basic credentials, JWTs, URL passwords, and
-- credential-looking key=value / key: value pairs. Returns text, count.
-- Words one of which every credential key holds (see KEY_SUFFIXES, KEY_EXACT).
local PAIR_HINTS = { "pass", "secret", "token", "key", "credential", "auth", "pwd" }

function M.text(s)
  if type(s) ~= "string" then
    error("bad argument #1 to 'text' (string expected, got " .. type(s) .. ")", 2)
  end
  -- Each scanner only where plain finds say it could match: a 10 KB log with nothing to
  -- hide cost 1 ms through every scanner, and logs and events are the common case.
  local l = lower(s)
  local pairs_possible = false
  for _, h in ipairs(PAIR_HINTS) do
    if find(l, h, 1, true) then
      pairs_possible = true
      break
    end
  end
  local wanted = {
    [scan_pem] = find(s, "-----BEGIN", 1, true) ~= nil,
    [scan_auth_schemes] = find(l, "bearer", 1, true) ~= nil or find(l, "authorization", 1, true) ~= nil,
    [scan_jwt] = find(s, "eyJ", 1, true) ~= nil,
    [scan_url_userinfo] = find(s, "://", 1, true) ~= nil,
    [scan_pairs] = pairs_possible,
    [scan_flags] = pairs_possible,
  }
  local scanners = {}
  for _, scan in ipairs(TEXT_SCANNERS) do
    if wanted[scan] then scanners[#scanners + 1] = scan end
  end
  return run(s, scanners)
end

-- Cheaper pass for strings with no reason to hold free text (names, images, ...): private
-- keys, bearer tokens and JWTs only, behind plain-find guards.
local function scan_value(s)
  if find(s, "PRIVATE KEY", 1, true) or find(s, "eyJ", 1, true) or find(s, "earer", 1, true)
     or find(s, "EARER", 1, true) then
    return run(s, VALUE_SCANNERS)
  end
  return s, 0
end

-- A whole string that is a credential file: a kubeconfig with credentials, or a docker
-- config. Such values are replaced entirely, not piecewise.
local function whole_secret(s)
  if #s < 24 then return false end
  if find(s, "client-key-data", 1, true) then return true end
  if (find(s, "kind: Config", 1, true) or find(s, '"kind":"Config"', 1, true)
      or find(s, '"kind": "Config"', 1, true))
     and (find(s, "token:", 1, true) or find(s, "password:", 1, true)
          or find(s, '"token"', 1, true) or find(s, '"password"', 1, true)) then
    return true
  end
  return find(s, '"auths"', 1, true) ~= nil and find(s, '"auth"', 1, true) ~= nil
end

-- ---------------------------------------------------------------------------------------
-- Objects

-- Env var names that hold credentials: a name segment (split on _ - . and camelCase)
-- containing PASSWORD/PASSWD/PASSPHRASE/SECRET/TOKEN/CREDENTIAL, or ending in KEY
-- (API_KEY, ACCESSKEY), or PASS/PWD. A last segment that names a reference to the
-- secret rather than the secret (..._PATH, ..._FILE, ..._NAME, ..._REF, ..._URL) keeps
-- the value visible: it is a path or a name, and hiding it would only hinder debugging.
local SEGMENT_WORDS = { "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "CREDENTIAL" }
local REFERENCE_SUFFIXES = { PATH = true, FILE = true, DIR = true, NAME = true, REF = true,
                             URL = true, URI = true, ENDPOINT = true, TTL = true, EXPIRY = true,
                             TIMEOUT = true, TYPE = true, ALGORITHM = true, ENABLED = true }

function M.credential_name(name)
  if type(name) ~= "string" or name == "" or name == "PWD" then return false end
  local segs = {}
  for seg in name:gsub("(%l)(%u)", "%1_%2"):gmatch("[^_%-%.]+") do segs[#segs + 1] = upper(seg) end
  if #segs > 1 and REFERENCE_SUFFIXES[segs[#segs]] then return false end
  for _, seg in ipairs(segs) do
    for _, w in ipairs(SEGMENT_WORDS) do
      if find(seg, w, 1, true) then return true end
    end
    if seg == "PASS" or seg == "PWD" or sub(seg, -3) == "KEY" then return true end
  end
  return false
end

local walk

local function copy_meta(src, dst)
  local mt = getmetatable(src)
  if mt ~= nil then setmetatable(dst, mt) end -- keeps the json.array marker
  return dst
end

-- A whole value replaced: its marker, counted.
local function mark(s, st)
  st.count = st.count + 1
  return M.marker(s)
end

-- Shorter than any credential the structured-data checks look for (the shortest is a
-- bearer token: "Bearer " and 8 characters).
local MIN_CHECKED = 15

local function redact_string(s, st, mode)
  if mode == nil and #s < MIN_CHECKED then return s end
  local out, n
  if mode == "secret" then
    out, n = M.marker(s), 1
  elseif whole_secret(s) then
    out, n = M.marker(s), 1
  elseif mode == "text" then
    out, n = M.text(s)
  else
    out, n = scan_value(s)
  end
  st.count = st.count + n
  return out
end

-- env: [{name=, value=}] anywhere (pods, every pod template, CRDs that embed one), or a
-- {NAME = value} map as some custom resources write it.
local function redact_env(list, st)
  local out = copy_meta(list, {})
  if not is_list(list) then
    for name, v in pairs(list) do
      local secret = type(v) == "string" and M.credential_name(name) and v ~= ""
      out[name] = secret and mark(v, st) or walk(v, st, "text")
    end
    return out
  end
  for i, e in ipairs(list) do
    if type(e) == "table" and type(e.value) == "string" then
      local c = copy_meta(e, {})
      for k, x in pairs(e) do
        if k ~= "value" then c[k] = walk(x, st) end
      end
      local secret = M.credential_name(e.name) and e.value ~= ""
      c.value = secret and mark(e.value, st) or redact_string(e.value, st, "text")
      out[i] = c
    else
      out[i] = walk(e, st)
    end
  end
  return out
end

-- Fields whose strings are free text even in otherwise structured objects.
local TEXT_FIELDS = { annotations = true, message = true, note = true }

-- command/args: each item is text, and an item after a bare credential flag ("--token",
-- "hunter2") is the credential itself.
local function redact_argv(argv, st)
  local out = copy_meta(argv, {})
  for i, x in ipairs(argv) do
    local prev = argv[i - 1]
    local flag = type(prev) == "string" and prev:match("^%-%-?([%w_%-%.]+)$")
    local secret = type(x) == "string" and flag and key_is_credential(flag) and x:sub(1, 1) ~= "-" and x ~= ""
    out[i] = secret and mark(x, st) or walk(x, st, "text")
  end
  return out
end

-- Deep copy of v, redacting as it goes. mode: nil (structured data), "text", "secret".
walk = function(v, st, mode)
  local t = type(v)
  if t == "string" then return redact_string(v, st, mode) end
  if t ~= "table" or is_null(v) then return v end
  local out = copy_meta(v, {})
  if is_list(v) then
    for i = 1, #v do out[i] = walk(v[i], st, mode) end
    return out
  end
  for k, x in pairs(v) do
    if k == "env" and type(x) == "table" and not is_null(x) and mode ~= "secret" then
      out[k] = redact_env(x, st)
    elseif (k == "command" or k == "args") and type(x) == "table" and mode == nil and is_list(x) then
      out[k] = redact_argv(x, st)
    elseif mode == nil and TEXT_FIELDS[k] then
      out[k] = walk(x, st, "text")
    else
      out[k] = walk(x, st, mode)
    end
  end
  return out
end

local function is_secret(obj, kind)
  if kind == "Secret" then return true end
  if kind ~= nil then return false end
  -- List items and some Table rows come without kind: a Secret is what has a string type
  -- beside data or stringData and no spec.
  return type(obj.type) == "string" and obj.spec == nil
    and (type(obj.data) == "table" or type(obj.stringData) == "table")
end

local function redact_secret_map(m, st, decode)
  if type(m) ~= "table" or is_null(m) then return m end
  local out = copy_meta(m, {})
  for k, v in pairs(m) do
    if type(v) == "string" then
      -- data holds base64: mark the decoded bytes, so data and stringData holding the
      -- same value get the same marker and the length is the secret's own.
      out[k] = mark(decode and unbase64(v) or v, st)
    else
      out[k] = walk(v, st, "secret")
    end
  end
  return out
end

local function redact_metadata(md, st)
  if type(md) ~= "table" or is_null(md) then return md end
  local out = copy_meta(md, {})
  for k, v in pairs(md) do
    if k == "annotations" and type(v) == "table" and not is_null(v) then
      local a, any = copy_meta(v, {}), false
      for name, value in pairs(v) do
        if name ~= LAST_APPLIED then
          a[name] = walk(value, st, "text")
          any = true
        elseif not st.clean then
          -- It is the whole object as last applied, Secret data included.
          a[name] = mark(value, st)
          any = true
        end
      end
      if any or not st.clean then out[k] = a end
    elseif k == "managedFields" then
      if not st.clean then out[k] = render.copy(v) end -- field names only, no values
    else
      out[k] = walk(v, st)
    end
  end
  return out
end

local redact_object

local function item_kind(list_kind)
  if type(list_kind) == "string" and #list_kind > 4 and sub(list_kind, -4) == "List" then
    return sub(list_kind, 1, -5)
  end
  return nil
end

local function is_container(kind)
  return kind == nil or kind == "List" or kind == "Table" or item_kind(kind) ~= nil
end

redact_object = function(obj, st, hint)
  if type(obj) ~= "table" or is_null(obj) then return walk(obj, st) end
  local kind = type(obj.kind) == "string" and obj.kind or hint
  local secret = is_secret(obj, kind)
  local out = copy_meta(obj, {})
  for k, v in pairs(obj) do
    if k == "metadata" then
      out[k] = redact_metadata(v, st)
    elseif secret and (k == "data" or k == "stringData") then
      out[k] = redact_secret_map(v, st, k == "data")
    elseif k == "items" and is_container(kind) and type(v) == "table" and not is_null(v) and is_list(v) then
      local sub_hint = item_kind(kind) or st.kind
      local items = copy_meta(v, {})
      for i = 1, #v do items[i] = redact_object(v[i], st, sub_hint) end
      out[k] = items
    elseif k == "rows" and kind == "Table" and type(v) == "table" and not is_null(v) and is_list(v) then
      out[k] = render.map_rows(v, function(o) return redact_object(o, st, st.kind) end,
                               function(x) return walk(x, st) end)
    elseif kind == "ConfigMap" and k == "data" then
      out[k] = walk(v, st, "text")
    else
      out[k] = walk(v, st)
    end
  end
  return out
end


-- opts.clean without redaction: drops, in place on a copy, what render.clean drops.
local function strip(obj)
  if type(obj) ~= "table" or is_null(obj) then return end
  local md = obj.metadata
  if type(md) == "table" and not is_null(md) then
    md.managedFields = nil
    local a = md.annotations
    if type(a) == "table" and not is_null(a) and a[LAST_APPLIED] ~= nil then
      a[LAST_APPLIED] = nil
      if next(a) == nil then md.annotations = nil end
    end
  end
  for _, item in ipairs(type(obj.items) == "table" and not is_null(obj.items) and obj.items or {}) do strip(item) end
  for _, r in ipairs(type(obj.rows) == "table" and not is_null(obj.rows) and obj.rows or {}) do
    if type(r) == "table" and not is_null(r) then strip(r.object) end
  end
end

-- A redacted deep copy of obj (the input is never changed) and how many values were
-- replaced. obj is an object, a List (items), or a meta.k8s.io Table (rows[].object).
-- opts.show_secrets: a plain copy and 0. opts.kind: the kind of objects that do not say:
-- a Table's row objects, a generic List's items (a SecretList's items carry no kind either,
-- but "SecretList" already says it), or obj itself. opts.clean: also leave out
-- metadata.managedFields and the last-applied annotation, as render.clean does, in the same
-- pass (a big list is then copied once, not twice).
function M.object(obj, opts)
  opts = opts or {}
  if opts.show_secrets then
    local out = render.copy(obj)
    if opts.clean then strip(out) end
    return out, 0
  end
  local st = { count = 0, kind = opts.kind, clean = opts.clean }
  local out = redact_object(obj, st, opts.kind)
  return out, st.count
end

return M
