-- kubectl.lua: a kubectl command line parsed natively (tools/ack_kubectl.lua; owner: the kubectl
-- task). No shell ever runs: the line is split into words with POSIX quoting rules, anything a
-- shell would treat as an operator (`;` `|` `&` `>` `<` `(` `)`, `$(...)`, backticks, `$VAR`, an
-- unquoted newline) is refused, and the words are parsed the way kubectl's flag library (pflag)
-- does into an operation table that lua/kubectl_exec.lua runs through lua/k8s.lua.
--
--   kubectl.tokenize(line)        -> { word, ... }       | nil, err
--   kubectl.parse(line [, opts])  -> op                   | nil, err
--     opts.allow_write: whether the server runs with --allow-write; without it a verb that
--     changes the cluster is refused here, before anything is sent.
--   err = { code = "ShellSyntax"|"Unsupported"|"Refused"|"InvalidCommand"|"WriteRefused",
--           message = "ack_kubectl: ..." }
--
-- The op (fields a verb does not use are nil):
--   verb, sub (rollout/top/auth/create/config subcommand), write (changes the cluster),
--   namespace, all_namespaces, context, request_timeout (seconds), dry_run ("server"|"client"),
--   resources = { {type=, names={...}}, ... }  TYPE NAME..., TYPE/NAME..., TYPE1,TYPE2
--   stdin (-f -: the objects come from the tool's `manifest` argument),
--   selector, field_selector, output = {format=, template=, jsonpath=, columns=},
--   and the verb's own flags under the names listed in VERBS below (dashes become "_").
--
-- Decisions: `--context` is accepted (it picks one of the kubeconfig contexts the server was
-- given, like the tool's `context` argument); every flag that brings its own credentials or
-- server (`--kubeconfig`, `--server`, `--token`, `--as`, `--cluster`, `--user`, ...) is refused.
-- A dry run (`--dry-run=server|client`) changes nothing, so it is allowed in read-only mode.

local jsonpath = require("jsonpath")

local M = {}

local ERR = {}
ERR.__index = ERR
ERR.__tostring = function(e) return e.message end

-- Raises a parse error; M.parse turns it into nil, err.
local function fail(code, fmt, ...)
  error(setmetatable({ code = code, message = "ack_kubectl: " .. string.format(fmt, ...) }, ERR), 0)
end

local function invalid(fmt, ...) fail("InvalidCommand", fmt, ...) end

---------------------------------------------------------------------------------------------
-- Tokenizer

local OPERATORS = {
  [";"] = "`;` would start a second command",
  ["|"] = "`|` would pipe into another program",
  ["&"] = "`&` would run commands in the background or chain them (`&&`)",
  [">"] = "`>` would redirect output to a file",
  ["<"] = "`<` would read a file or a heredoc",
  ["("] = "`(` would start a subshell",
  [")"] = "`)` would end a subshell",
  ["`"] = "a backtick would run a command and paste its output",
}

local function shell_fail(col, what)
  fail("ShellSyntax", "%s at column %d; no shell runs here, so shell syntax is refused: send one "
    .. "kubectl command per call, and quote arguments that contain these characters", what, col)
end

-- `$` starts an expansion when followed by one of these.
local function expands(nextc)
  return nextc ~= "" and nextc:find("^[%w_{(?!#*@$%-]") ~= nil
end

local function dollar_fail(line, i)
  local n = line:sub(i + 1, i + 1)
  if n == "(" then shell_fail(i, "`$(` would run a command and paste its output") end
  local var = line:match("^%$[%w_]+", i) or line:match("^%${[^}]*}?", i) or ("$" .. n)
  shell_fail(i, "`" .. var .. "` would expand a shell variable")
end

-- Splits a command line into words (POSIX quoting). Returns the words, or nil and an error.
function M.tokenize(line)
  local ok, res = pcall(function()
    if type(line) ~= "string" then invalid("the command must be a string") end
    local words, cur, started = {}, {}, false
    local i, n = 1, #line
    local function finish()
      if started then words[#words + 1] = table.concat(cur) end
      cur, started = {}, false
    end
    while i <= n do
      local c = line:sub(i, i)
      if c == " " or c == "\t" then
        finish()
        i = i + 1
      elseif c == "\n" or c == "\r" then
        shell_fail(i, "a newline outside quotes would start a second command")
      elseif c == "'" then
        local j = line:find("'", i + 1, true)
        if not j then fail("ShellSyntax", "unterminated single quote at column %d", i) end
        cur[#cur + 1] = line:sub(i + 1, j - 1)
        started, i = true, j + 1
      elseif c == '"' then
        local j = i + 1
        while true do
          if j > n then fail("ShellSyntax", "unterminated double quote at column %d", i) end
          local d = line:sub(j, j)
          if d == '"' then break end
          if d == "\\" then
            local e = line:sub(j + 1, j + 1)
            if e == "$" or e == "`" or e == '"' or e == "\\" then
              cur[#cur + 1] = e
              j = j + 2
            elseif e == "\n" then
              j = j + 2
            else
              cur[#cur + 1] = "\\"
              j = j + 1
            end
          elseif d == "`" then
            shell_fail(j, "a backtick inside double quotes would run a command")
          elseif d == "$" and expands(line:sub(j + 1, j + 1)) then
            dollar_fail(line, j)
          else
            cur[#cur + 1] = d
            j = j + 1
          end
        end
        started, i = true, j + 1
      elseif c == "\\" then
        local e = line:sub(i + 1, i + 1)
        if e == "" then fail("ShellSyntax", "a trailing backslash at column %d escapes nothing", i) end
        if e ~= "\n" then
          cur[#cur + 1] = e
          started = true
        end
        i = i + 2
      elseif OPERATORS[c] then
        shell_fail(i, OPERATORS[c])
      elseif c == "$" and expands(line:sub(i + 1, i + 1)) then
        dollar_fail(line, i)
      elseif c == "#" and not started then
        shell_fail(i, "`#` would start a shell comment")
      else
        cur[#cur + 1] = c
        started, i = true, i + 1
      end
    end
    finish()
    return words
  end)
  if ok then return res end
  if getmetatable(res) == ERR then return nil, res end
  error(res, 0)
end

---------------------------------------------------------------------------------------------
-- Flags, the way pflag reads them: --name=value, --name value, -n value, -nvalue, -n=value,
-- combined boolean shorthands (-it), bare booleans (--watch, --watch=false), `--` ending flags.
-- Kinds: bool; string; int; strings (repeatable, comma lists split); opt (a value only after
-- `=`, bare means the default); dur (Go duration, stored as seconds).

local TRUE = { ["1"] = true, t = true, T = true, TRUE = true, ["true"] = true, True = true }
local FALSE = { ["0"] = false, f = false, F = false, FALSE = false, ["false"] = false, False = false }

local UNITS = { ns = 1e-9, us = 1e-6, ["µs"] = 1e-6, ms = 1e-3, s = 1, m = 60, h = 3600 }

-- Go's time.ParseDuration, in seconds.
function M.duration(s)
  if s == "0" then return 0 end
  local sign, rest = s:match("^([+-]?)(.+)$")
  if not rest or rest == "" then return nil end
  local total, pos = 0, 1
  while pos <= #rest do
    local num, unit, nxt = rest:match("^(%d*%.?%d*)([a-zµ]+)()", pos)
    if not num or num == "" or num == "." or not UNITS[unit] then return nil end
    total = total + tonumber(num) * UNITS[unit]
    pos = nxt
  end
  return sign == "-" and -total or total
end

local function flag_value(spec, name, raw)
  local k = spec.kind
  if k == "bool" then
    if TRUE[raw] then return true end
    if FALSE[raw] == false then return false end
    invalid('invalid argument "%s" for "--%s" flag: strconv.ParseBool: parsing "%s": invalid syntax', raw, name, raw)
  elseif k == "int" then
    if not raw:find("^[+-]?%d+$") then
      invalid('invalid argument "%s" for "--%s" flag: strconv.ParseInt: parsing "%s": invalid syntax', raw, name, raw)
    end
    local v = math.tointeger(tonumber(raw))
    if not v or #raw > 18 then invalid('invalid argument "%s" for "--%s" flag: value out of range', raw, name) end
    return v
  elseif k == "dur" then
    local v = M.duration(raw)
    if not v then invalid('invalid argument "%s" for "--%s" flag: time: invalid duration "%s"', raw, name, raw) end
    return v
  end
  return raw
end

local function store(flags, spec, name, raw)
  local v = flag_value(spec, name, raw)
  if spec.kind == "strings" then
    local list = flags[name] or {}
    if spec.split == false then
      list[#list + 1] = v
    else
      for part in (v .. ","):gmatch("([^,]*),") do
        if part ~= "" then list[#list + 1] = part end
      end
    end
    flags[name] = list
  else
    flags[name] = v
  end
end

-- Parses words against spec (long name -> {kind=, short=, default=}). Returns the flags by
-- long name and the positional words in order.
local function parse_flags(words, spec, cmd)
  local shorts = {}
  for name, s in pairs(spec) do
    if s.short then shorts[s.short] = name end
  end
  local flags, pos, i = {}, {}, 1
  local function unknown_long(name)
    invalid("unknown flag: --%s (for kubectl %s)", name, cmd)
  end
  while i <= #words do
    local w = words[i]
    if w == "--" then
      for j = i + 1, #words do pos[#pos + 1] = words[j] end
      break
    elseif w:sub(1, 2) == "--" then
      local name, value = w:match("^%-%-([^=]+)=(.*)$")
      name = name or w:sub(3)
      local s = spec[name]
      if not s then unknown_long(name) end
      if s.refuse then s.refuse(name) end
      if value then
        store(flags, s, name, value)
      elseif s.kind == "bool" then
        flags[name] = true
      elseif s.kind == "opt" then
        flags[name] = s.default
      else
        if i == #words then invalid("flag needs an argument: --%s", name) end
        i = i + 1
        store(flags, s, name, words[i])
      end
      i = i + 1
    elseif w:sub(1, 1) == "-" and #w > 1 then
      local j = 2
      while j <= #w do
        local ch = w:sub(j, j)
        local name = shorts[ch]
        if not name then invalid("unknown shorthand flag: '%s' in %s (for kubectl %s)", ch, w, cmd) end
        local s = spec[name]
        if s.refuse then s.refuse(name) end
        local rest = w:sub(j + 1)
        if s.kind == "bool" then
          if rest:sub(1, 1) == "=" then
            store(flags, s, name, rest:sub(2))
            break
          end
          flags[name] = true
          j = j + 1
        elseif s.kind == "opt" then
          flags[name] = rest:sub(1, 1) == "=" and flag_value(s, name, rest:sub(2)) or s.default
          break
        else
          if rest:sub(1, 1) == "=" then rest = rest:sub(2) end
          if rest == "" then
            if i == #words then invalid("flag needs an argument: '%s' in %s", ch, w) end
            i = i + 1
            rest = words[i]
          end
          store(flags, s, name, rest)
          break
        end
      end
      i = i + 1
    else
      pos[#pos + 1] = w
      i = i + 1
    end
  end
  return flags, pos
end

---------------------------------------------------------------------------------------------
-- Flag tables

local function refuse_credentials(name)
  fail("Refused", "--%s is refused: the server connects with the kubeconfig it was started with; "
    .. "pick a cluster with the tool's `context` or `cluster_id` argument (or --context), never with "
    .. "credentials or a server address in the command", name)
end

local function refuse_flag(why)
  return function(name) fail("Unsupported", "--%s is not supported: %s", name, why) end
end

local NO_FILES = "no files are read here: put YAML or JSON in the tool's `manifest` argument and use -f -"

local GLOBAL = {
  namespace = { kind = "string", short = "n" },
  context = { kind = "string" },
  ["request-timeout"] = { kind = "string" },
  v = { kind = "int", short = "v" },
  ["match-server-version"] = { kind = "bool" },
  ["warnings-as-errors"] = { kind = "bool" },
  ["disable-compression"] = { kind = "bool" },
  ["log-flush-frequency"] = { kind = "string" },
}
for _, name in ipairs({ "kubeconfig", "server", "token", "as", "as-group", "as-uid", "cluster", "user",
                        "username", "password", "certificate-authority", "client-certificate",
                        "client-key", "tls-server-name", "cache-dir", "profile", "profile-output" }) do
  GLOBAL[name] = { kind = "string", refuse = refuse_credentials }
end
GLOBAL.server.short = "s"
GLOBAL["insecure-skip-tls-verify"] = { kind = "bool", refuse = refuse_credentials }

-- Flag tables are built from compact rows: { long, kind, short, default }.
local function flagset(rows)
  local t = {}
  for name, s in pairs(GLOBAL) do t[name] = s end
  for _, r in ipairs(rows) do
    if type(r) == "string" then r = { r, "bool" } end
    t[r[1]] = { kind = r[2], short = r[3], default = r[4], refuse = r.refuse, split = r.split }
  end
  return t
end

local ALL_NS = { "all-namespaces", "bool", "A" }
local SELECTOR = { "selector", "string", "l" }
local FIELD_SELECTOR = { "field-selector", "string" }
local OUTPUT = { "output", "string", "o" }
local DRY_RUN = { "dry-run", "opt", nil, "client" }
local FILENAME = { "filename", "strings", "f", split = false }
local REFUSE_FILES = { "recursive", "bool", "R" }
local KUSTOMIZE = { "kustomize", "string", "k", refuse = refuse_flag("kustomize directories are files; "
  .. "render the manifest and pass it in the `manifest` argument with -f -") }
local TEMPLATE = { "template", "string", refuse = refuse_flag("Go templates are not supported; use "
  .. "-o jsonpath=... or -o custom-columns=...") }

---------------------------------------------------------------------------------------------
-- Arguments and values

-- Object names and namespaces go into URL paths: refuse what would change the path.
local function check_name(what, s)
  if s == "" then invalid("%s must not be empty", what) end
  if s == "." or s == ".." or s:find("[/%%?#%s%c]") then
    invalid('%s "%s" is not a valid name: names may not be "." or ".." or contain "/", "%%", "?", "#" or spaces', what, s)
  end
  if #s > 253 then invalid("%s is longer than 253 characters", what) end
  return s
end

local function check_type(s)
  if not s:find("^[%a][%w%.%-]*$") then
    invalid('"%s" is not a resource type: use a kind, plural or short name such as pods, deploy, '
      .. 'deployments.apps', s)
  end
  return s
end

-- kubectl's resource arguments: TYPE [NAME...], TYPE1,TYPE2 (lists), TYPE/NAME [TYPE/NAME...].
local function resource_args(args, cmd, opts)
  opts = opts or {}
  local out = {}
  if #args == 0 then return out end
  local slash = false
  for _, a in ipairs(args) do
    if a:find("/", 1, true) then slash = true end
  end
  if slash then
    for idx, a in ipairs(args) do
      local t, n = a:match("^([^/]*)/(.*)$")
      if not t then
        if idx == 1 then
          invalid("there is no need to specify a resource type as a separate argument when passing "
            .. "arguments in resource/name form (e.g. 'kubectl %s resource/<resource_name>' instead of "
            .. "'kubectl %s resource resource/<resource_name>')", cmd, cmd)
        end
        invalid("arguments in resource/name form must have a single resource and name: \"%s\"", a)
      end
      if t == "" or n == "" then invalid("arguments in resource/name form must have a single resource and name: \"%s\"", a) end
      check_type(t)
      check_name("name", n)
      local last = out[#out]
      if last and last.type == t then
        last.names[#last.names + 1] = n
      else
        out[#out + 1] = { type = t, names = { n } }
      end
    end
    return out
  end
  local types = {}
  for part in (args[1] .. ","):gmatch("([^,]*),") do
    if part == "" then invalid('"%s" is not a resource type list: empty entry', args[1]) end
    types[#types + 1] = check_type(part)
  end
  local names = {}
  for k = 2, #args do names[#names + 1] = check_name("name", args[k]) end
  if #names > 0 and #types > 1 then
    invalid("you must specify only one resource type when naming objects (%s); use TYPE/NAME "
      .. "arguments for objects of several types", args[1])
  end
  if opts.one_type and #types > 1 then invalid("kubectl %s takes one resource type, got %s", cmd, args[1]) end
  for _, t in ipairs(types) do out[#out + 1] = { type = t, names = names } end
  return out
end

-- custom-columns and --sort-by take "a.b", ".a.b" or "{.a.b}".
local function compile_relaxed(path)
  local expr, err = jsonpath.relaxed(path)
  if not expr then invalid("%s", err) end
  local prog, perr = jsonpath.compile(expr)
  if not prog then invalid("error parsing jsonpath %s, %s", path, perr) end
  return prog
end

local OUTPUT_FORMATS = "custom-columns, json, jsonpath, jsonpath-as-json, name, wide, yaml"

-- Parses -o: wide|yaml|json|name|jsonpath=T|jsonpath-as-json=T|custom-columns=SPEC.
local function parse_output(s, allowed)
  if s == nil or s == "" then return nil end
  local fmt, arg = s:match("^([%w%-]+)=(.*)$")
  fmt = fmt or s
  if fmt == "go-template" or fmt == "go-template-file" or fmt == "template" or fmt == "templatefile" then
    fail("Unsupported", "-o %s is not supported: Go templates are not evaluated here; use -o jsonpath=... "
      .. "or -o custom-columns=...", fmt)
  end
  if fmt == "jsonpath-file" or fmt == "custom-columns-file" then
    fail("Unsupported", "-o %s is not supported: no files are read here; give the template inline "
      .. "(-o jsonpath=... or -o custom-columns=...)", fmt)
  end
  local ok_fmt = allowed and allowed[fmt] or (not allowed and ({ wide = true, yaml = true, json = true, name = true,
    jsonpath = true, ["jsonpath-as-json"] = true, ["custom-columns"] = true })[fmt])
  if not ok_fmt then
    local list = OUTPUT_FORMATS
    if allowed then
      local names = {}
      for k in pairs(allowed) do names[#names + 1] = k end
      table.sort(names)
      list = table.concat(names, ", ")
    end
    invalid('unable to match a printer suitable for the output format "%s", allowed formats are: %s', s, list)
  end
  local out = { format = fmt }
  if fmt == "jsonpath" or fmt == "jsonpath-as-json" then
    if arg == nil or arg == "" then invalid("template format specified but no template given") end
    local prog, err = jsonpath.compile(arg)
    if not prog then invalid("error parsing jsonpath %s, %s", arg, err) end
    out.template, out.jsonpath = arg, prog
  elseif fmt == "custom-columns" then
    if arg == nil or arg == "" then invalid("custom-columns format specified but no custom columns given") end
    local cols = {}
    for spec in (arg .. ","):gmatch("([^,]*),") do
      local header, path = spec:match("^([^:]+):(.+)$")
      if not header then
        invalid('unexpected custom-columns spec: %s, expected <header>:<json-path-expr>', spec)
      end
      local prog = compile_relaxed(path)
      cols[#cols + 1] = { header = header, path = path, jsonpath = prog }
    end
    out.template, out.columns = arg, cols
  elseif arg ~= nil then
    invalid('unable to match a printer suitable for the output format "%s", allowed formats are: %s', s, OUTPUT_FORMATS)
  end
  return out
end

local function dry_run(v)
  if v == nil or v == "none" then return nil end
  if v == "server" or v == "client" then return v end
  if v == "unchanged" or v == "true" then return "client" end
  if v == "false" then return nil end
  invalid('Invalid dry-run value (%s). Must be "none", "server", or "client".', v)
end

local function stdin_only(files)
  if not files then return false end
  for _, f in ipairs(files) do
    if f ~= "-" then
      fail("Unsupported", "-f %s: %s", f, NO_FILES)
    end
  end
  return true
end

-- What get and describe read: the TYPE[/NAME] arguments, or a manifest on stdin (-f -);
-- kubectl's message when there is neither.
local function read_targets(op, f, args, cmd)
  op.stdin = stdin_only(f.filename)
  op.resources = resource_args(args, cmd)
  if #op.resources == 0 and not op.stdin then
    invalid('You must specify the type of resource to %s. Use "kubectl api-resources" for a complete '
      .. 'list of supported resources.', cmd)
  end
end

local function no_args(cmd, args, from)
  if #args > (from or 0) then
    invalid("unexpected argument \"%s\" for kubectl %s", args[(from or 0) + 1], cmd)
  end
end

local function forbid(f, cmd, ...)
  for _, name in ipairs({ ... }) do
    if f[name] ~= nil then invalid("unknown flag: --%s (for kubectl %s)", name, cmd) end
  end
end

local function positive_or_minus_one(f, name)
  local v = f[name]
  if v ~= nil and v < -1 then invalid("--%s must be -1 or greater, got %d", name, v) end
  return v
end

---------------------------------------------------------------------------------------------
-- Verbs. Each entry: flags (a flag table), write (changes the cluster; may be a function of
-- the op), build(op, f, args) filling op from the flags f and the positional args.

local VERBS = {}

local GET_FLAGS = flagset({ ALL_NS, SELECTOR, FIELD_SELECTOR, OUTPUT, { "sort-by", "string" },
  "show-labels", { "label-columns", "strings", "L" }, { "chunk-size", "int", nil, 500 },
  { "limit", "int" }, { "continue", "string" }, { "watch", "bool", "w" }, "watch-only",
  "output-watch-events", "no-headers", "show-kind", "ignore-not-found", "show-managed-fields",
  { "subresource", "string" }, { "raw", "string" }, FILENAME, REFUSE_FILES, KUSTOMIZE, TEMPLATE,
  { "allow-missing-template-keys", "bool" }, { "server-print", "bool" } })

VERBS.get = {
  flags = GET_FLAGS,
  build = function(op, f, args)
    if f.raw then
      if #args > 0 then invalid("arguments may not be passed when --raw is specified") end
      if not f.raw:find("^/") then invalid("--raw must be an absolute URL path such as /api/v1/namespaces") end
      op.raw = f.raw
      return
    end
    read_targets(op, f, args, "get")
    op.output = parse_output(f.output)
    if f["sort-by"] then
      op.sort_by = { path = f["sort-by"], jsonpath = compile_relaxed(f["sort-by"]) }
    end
    op.show_labels = f["show-labels"]
    op.label_columns = f["label-columns"]
    op.chunk_size = f["chunk-size"]
    if op.chunk_size and op.chunk_size < 0 then invalid("--chunk-size must be 0 or greater") end
    if f.limit then
      if f.limit < 1 then invalid("--limit must be 1 or greater, got %d", f.limit) end
      op.limit = f.limit
    end
    op.continue = f.continue
    op.watch = f.watch or f["watch-only"]
    op.watch_only = f["watch-only"]
    op.no_headers = f["no-headers"]
    op.show_kind = f["show-kind"]
    op.ignore_not_found = f["ignore-not-found"]
    op.show_managed_fields = f["show-managed-fields"]
    op.subresource = f.subresource
    if op.subresource and op.subresource ~= "status" and op.subresource ~= "scale" then
      invalid('invalid subresource value: "%s". Must be one of [status scale]', op.subresource)
    end
    if op.continue and op.watch then invalid("--continue cannot be used with --watch") end
  end,
}

VERBS.describe = {
  flags = flagset({ ALL_NS, SELECTOR, { "show-events", "bool" }, { "chunk-size", "int", nil, 500 },
    FILENAME, REFUSE_FILES, KUSTOMIZE }),
  build = function(op, f, args)
    read_targets(op, f, args, "describe")
    op.show_events = f["show-events"] ~= false
  end,
}

VERBS.logs = {
  flags = flagset({ SELECTOR, { "container", "string", "c" }, "all-containers", "all-pods",
    { "tail", "int", nil }, { "since", "dur" }, { "since-time", "string" }, { "previous", "bool", "p" },
    "timestamps", { "follow", "bool", "f" }, { "limit-bytes", "int" }, "prefix",
    { "max-log-requests", "int" }, "ignore-errors", { "pod-running-timeout", "dur" } }),
  build = function(op, f, args)
    op.container = f.container
    if #args > 2 then invalid("expected POD_NAME or TYPE/NAME and at most one container name, got %d arguments", #args) end
    if op.container and #args == 2 then invalid("only one of -c or an inline [CONTAINER] arg is allowed") end
    if f.selector then
      if #args > 0 then invalid("only one of a selector (-l) or a pod name may be given") end
      op.selector = f.selector
    else
      if #args == 0 then invalid("expected POD_NAME or TYPE/NAME as the argument of kubectl logs") end
      local t, n = args[1]:match("^([^/]+)/(.+)$")
      if t then
        op.ref = { type = check_type(t), name = check_name("name", n) }
      else
        op.ref = { type = "pods", name = check_name("pod name", args[1]) }
      end
      if args[2] then op.container = args[2] end
    end
    if op.container then check_name("container name", op.container) end
    op.all_containers = f["all-containers"]
    op.all_pods = f["all-pods"]
    if op.container and op.all_containers then invalid("--container cannot be used with --all-containers") end
    op.tail = f.tail
    if op.tail and op.tail < -1 then invalid("--tail must be -1 or greater, got %d", op.tail) end
    if op.tail == -1 then op.tail = nil end
    if op.tail == nil and f.tail == nil and op.selector then op.tail = 10 end
    op.since = f.since
    op.since_time = f["since-time"]
    if op.since and op.since_time then invalid("at most one of `sinceTime` or `sinceSeconds` may be specified") end
    if op.since and op.since <= 0 then invalid("--since must be greater than 0") end
    if op.since then op.since = math.max(1, math.ceil(op.since)) end
    if op.since_time and not op.since_time:find("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d") then
      invalid('--since-time must be RFC 3339 (2024-05-01T10:00:00Z), got "%s"', op.since_time)
    end
    op.previous = f.previous
    op.timestamps = f.timestamps
    op.follow = f.follow
    op.limit_bytes = f["limit-bytes"]
    if op.limit_bytes and op.limit_bytes < 1 then invalid("--limit-bytes must be greater than 0") end
    op.prefix = f.prefix
    op.max_log_requests = f["max-log-requests"] or 5
    op.ignore_errors = f["ignore-errors"]
  end,
}

VERBS.events = {
  flags = flagset({ ALL_NS, OUTPUT, { "for", "string" }, { "types", "strings" }, { "watch", "bool", "w" },
    "no-headers", { "chunk-size", "int", nil, 500 }, TEMPLATE, { "allow-missing-template-keys", "bool" } }),
  build = function(op, f, args)
    no_args("events", args)
    op.output = parse_output(f.output, { json = true, yaml = true, name = true, jsonpath = true,
      ["jsonpath-as-json"] = true, ["custom-columns"] = true })
    if f["for"] then
      local t, n = f["for"]:match("^([^/]+)/(.+)$")
      if not t then
        -- kubectl treats a bare name as a pod
        t, n = "pods", f["for"]
      end
      op.for_ref = { type = check_type(t), name = check_name("name", n) }
    end
    if f.types then
      op.types = {}
      for _, ty in ipairs(f.types) do
        local norm = ty:sub(1, 1):upper() .. ty:sub(2):lower()
        if norm ~= "Normal" and norm ~= "Warning" then
          invalid('valid --types are Normal or Warning, got "%s"', ty)
        end
        op.types[#op.types + 1] = norm
      end
    end
    op.watch = f.watch
    op.no_headers = f["no-headers"]
  end,
}

VERBS.top = {
  flags = flagset({ ALL_NS, SELECTOR, FIELD_SELECTOR, "containers", { "sort-by", "string" }, "no-headers",
    "sum", "show-capacity", "use-protocol-buffers" }),
  build = function(op, f, args)
    local sub = args[1]
    if sub == "pods" or sub == "po" then sub = "pod" end
    if sub == "nodes" or sub == "no" then sub = "node" end
    if sub ~= "pod" and sub ~= "node" then
      invalid("kubectl top needs pod or node, got %s", sub and ('"' .. sub .. '"') or "nothing")
    end
    op.sub = sub
    if #args > 2 then invalid("kubectl top %s takes at most one name", sub) end
    if args[2] then op.name = check_name(sub .. " name", args[2]) end
    if sub == "node" then
      forbid(f, "top node", "all-namespaces", "containers", "field-selector", "sum")
    end
    if op.name and f.selector then invalid("only one of NAME or --selector can be provided") end
    op.containers = f.containers
    op.sort_by = f["sort-by"]
    if op.sort_by and op.sort_by ~= "cpu" and op.sort_by ~= "memory" then
      invalid('--sort-by accepts only cpu or memory, got "%s"', op.sort_by)
    end
    op.no_headers = f["no-headers"]
    op.sum = f.sum
    op.show_capacity = f["show-capacity"]
  end,
}

VERBS["api-resources"] = {
  flags = flagset({ { "namespaced", "bool" }, { "api-group", "string" }, OUTPUT, "no-headers",
    { "sort-by", "string" }, { "verbs", "strings" }, { "categories", "strings" }, "cached" }),
  build = function(op, f, args)
    no_args("api-resources", args)
    op.namespaced = f.namespaced
    op.api_group = f["api-group"]
    op.output = parse_output(f.output, { wide = true, name = true })
    op.no_headers = f["no-headers"]
    op.sort_by = f["sort-by"]
    if op.sort_by and op.sort_by ~= "name" and op.sort_by ~= "kind" then
      invalid('--sort-by accepts only name or kind, got "%s"', op.sort_by)
    end
    op.verbs = f.verbs
    op.categories = f.categories
  end,
}

VERBS["api-versions"] = {
  flags = flagset({}),
  build = function(_, _, args) no_args("api-versions", args) end,
}

VERBS.version = {
  flags = flagset({ OUTPUT, "client" }),
  build = function(op, f, args)
    no_args("version", args)
    op.output = parse_output(f.output, { json = true, yaml = true })
    op.client = f.client
  end,
}

VERBS["cluster-info"] = {
  flags = flagset({}),
  build = function(_, _, args)
    if args[1] == "dump" then
      fail("Unsupported", "cluster-info dump is not supported: it writes every object and log of the cluster; "
        .. "use get, describe, logs and events for what you need")
    end
    no_args("cluster-info", args)
  end,
}

VERBS.explain = {
  flags = flagset({ "recursive", { "api-version", "string" }, OUTPUT }),
  build = function(op, f, args)
    if #args ~= 1 then
      invalid("kubectl explain takes one argument: TYPE or TYPE.FIELD.PATH (e.g. pods.spec.containers)")
    end
    local t, path = args[1]:match("^([^.]+)%.?(.*)$")
    op.type = check_type(t)
    op.field_path = {}
    for part in path:gmatch("[^.]+") do op.field_path[#op.field_path + 1] = part end
    op.recursive = f.recursive
    op.api_version = f["api-version"]
    if f.output and f.output ~= "plaintext" then
      invalid('unsupported output format "%s" for kubectl explain; only plaintext', f.output)
    end
  end,
}

-- Writes ----------------------------------------------------------------------------------

local function write_unless_dry(op) return op.dry_run == nil end

VERBS.apply = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, DRY_RUN, OUTPUT, "server-side", "force-conflicts",
    { "field-manager", "string" }, { "validate", "opt", nil, "strict" }, "overwrite", "record",
    { "prune", "bool", refuse = refuse_flag("pruning deletes every object the manifest does not list; "
      .. "delete objects explicitly") }, "force", { "selector", "string", "l" }, "wait",
    { "timeout", "dur" }, { "grace-period", "int" }, TEMPLATE }),
  write = write_unless_dry,
  build = function(op, f, args)
    if args[1] == "edit-last-applied" then
      fail("Unsupported", "apply edit-last-applied opens an editor; use patch or apply -f - instead")
    end
    if args[1] == "view-last-applied" or args[1] == "set-last-applied" then
      fail("Unsupported", "apply %s is not supported; use get -o yaml (the server applies with server-side apply)", args[1])
    end
    no_args("apply", args)
    if not f.filename then
      invalid("must specify -f -: put the YAML or JSON (one or more documents) in the tool's `manifest` argument")
    end
    op.stdin = stdin_only(f.filename)
    op.dry_run = dry_run(f["dry-run"])
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
    op.force_conflicts = f["force-conflicts"]
    op.server_side = f["server-side"]
    op.field_manager = f["field-manager"]
    op.selector = f.selector
  end,
}

VERBS.diff = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, "server-side", "force-conflicts",
    { "field-manager", "string" } }),
  build = function(op, f, args)
    no_args("diff", args)
    if not f.filename then
      invalid("must specify -f -: put the YAML or JSON in the tool's `manifest` argument")
    end
    op.stdin = stdin_only(f.filename)
    op.force_conflicts = f["force-conflicts"]
  end,
}

local CREATE_KINDS = {
  namespace = "namespace", ns = "namespace",
  configmap = "configmap", cm = "configmap",
  secret = "secret",
  serviceaccount = "serviceaccount", sa = "serviceaccount",
  deployment = "deployment", deploy = "deployment",
}

VERBS.create = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, DRY_RUN, OUTPUT, { "from-literal", "strings", split = false },
    { "from-file", "strings", refuse = refuse_flag(NO_FILES) },
    { "from-env-file", "strings", refuse = refuse_flag(NO_FILES) },
    { "image", "strings" }, { "replicas", "int" }, { "port", "int" }, { "type", "string" },
    "save-config", { "validate", "opt", nil, "strict" }, { "field-manager", "string" },
    { "edit", "bool", refuse = refuse_flag("it opens an editor; pass the object in the `manifest` argument") },
    "record", "append-hash", TEMPLATE, { "allow-missing-template-keys", "bool" }, "windows-line-endings" }),
  write = write_unless_dry,
  build = function(op, f, args)
    op.dry_run = dry_run(f["dry-run"])
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
    if f.filename then
      no_args("create", args)
      op.stdin = stdin_only(f.filename)
      return
    end
    local kind = CREATE_KINDS[args[1] or ""]
    if not kind then
      if args[1] == nil then
        invalid("must specify -f - (with the tool's `manifest` argument) or one of: create namespace|configmap|"
          .. "secret generic|serviceaccount|deployment NAME")
      end
      fail("Unsupported", "create %s is not supported: create it from a manifest with -f - and the tool's "
        .. "`manifest` argument (supported shortcuts: namespace, configmap, secret generic, serviceaccount, "
        .. "deployment)", args[1])
    end
    local rest = 2
    if kind == "secret" then
      if args[2] ~= "generic" then
        fail("Unsupported", "create secret %s is not supported: use create secret generic, or -f - with a manifest",
          args[2] or "(nothing)")
      end
      rest = 3
    end
    op.sub = kind
    if not args[rest] then invalid("NAME is required for kubectl create %s", kind) end
    op.name = check_name(kind .. " name", args[rest])
    no_args("create " .. kind, args, rest)
    op.literals = {}
    for _, lit in ipairs(f["from-literal"] or {}) do
      local k, v = lit:match("^([^=]+)=(.*)$")
      if not k then invalid('invalid literal source %s, expected key=value', lit) end
      op.literals[#op.literals + 1] = { key = k, value = v }
    end
    if #op.literals > 0 and kind ~= "configmap" and kind ~= "secret" then
      invalid("--from-literal is only for configmap and secret")
    end
    if kind == "deployment" then
      if not f.image or #f.image == 0 then invalid("required flag(s) \"image\" not set") end
      op.images = f.image
      op.replicas = f.replicas or 1
      op.port = f.port
    else
      forbid(f, "create " .. kind, "image", "replicas", "port")
    end
    op.secret_type = f.type
  end,
}

local CASCADE = { background = "Background", foreground = "Foreground", orphan = "Orphan",
                  ["true"] = "Background", ["false"] = "Orphan" }

VERBS.delete = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, SELECTOR, FIELD_SELECTOR, ALL_NS, "all",
    { "grace-period", "int", nil, -1 }, "now", "force", { "cascade", "opt", nil, "background" }, DRY_RUN,
    "ignore-not-found", { "wait", "bool" }, { "timeout", "dur" }, OUTPUT,
    { "interactive", "bool", "i", refuse = refuse_flag("it asks for confirmation on a terminal") },
    { "raw", "string", refuse = refuse_flag("use TYPE NAME arguments") } }),
  write = write_unless_dry,
  build = function(op, f, args)
    op.stdin = stdin_only(f.filename)
    op.resources = resource_args(args, "delete")
    op.selector, op.field_selector = f.selector, f["field-selector"]
    op.all = f.all
    if op.stdin and #op.resources > 0 then invalid("cannot use -f together with resource arguments") end
    if not op.stdin then
      if #op.resources == 0 then
        invalid('You must provide one or more resources by argument or filename.\nExample resource '
          .. 'specifications include:\n   \'-f -\'\n   \'resource name\'\n   \'resource/name\'')
      end
      local named = #op.resources[1].names > 0
      if not named and not op.selector and not op.field_selector and not op.all then
        invalid('resource(s) were provided, but no name was specified; name them, or use -l, '
          .. '--field-selector or --all')
      end
      if named and (op.selector or op.all) then
        invalid("name cannot be provided when a selector or --all is specified")
      end
    end
    op.grace_period = positive_or_minus_one(f, "grace-period")
    if f.now then
      if f["grace-period"] and f["grace-period"] >= 0 then invalid("--now and --grace-period cannot be specified together") end
      op.grace_period = 1
    end
    if f.force and (op.grace_period == nil or op.grace_period < 0) then op.grace_period = 0 end
    if op.grace_period == -1 then op.grace_period = nil end
    if f.cascade ~= nil then
      op.propagation = CASCADE[f.cascade]
      if not op.propagation then
        invalid('invalid cascade value (%s). Must be "background", "foreground", or "orphan"', f.cascade)
      end
    end
    op.dry_run = dry_run(f["dry-run"])
    op.ignore_not_found = f["ignore-not-found"] or (op.all or op.selector ~= nil) or nil
    op.output = parse_output(f.output, { name = true })
  end,
}

VERBS.patch = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, { "patch", "string", "p" }, { "type", "string", nil },
    { "patch-file", "string", refuse = refuse_flag("put the patch in -p '...'") }, { "subresource", "string" },
    DRY_RUN, OUTPUT, { "field-manager", "string" }, "record",
    { "local", "bool", refuse = refuse_flag("there are no local files; patch the object on the server") },
    TEMPLATE, { "allow-missing-template-keys", "bool" } }),
  write = write_unless_dry,
  build = function(op, f, args)
    if f.filename then fail("Unsupported", "patch -f is not supported; name the object: patch TYPE NAME -p '...'") end
    op.resources = resource_args(args, "patch", { one_type = true })
    if #op.resources == 0 or #op.resources[1].names == 0 then
      invalid("kubectl patch needs TYPE NAME or TYPE/NAME")
    end
    if not f.patch then invalid("must specify -p to patch") end
    if f.patch == "" then invalid("must specify a non-empty -p") end
    op.patch = f.patch
    op.patch_type = f.type or "strategic"
    if op.patch_type ~= "strategic" and op.patch_type ~= "merge" and op.patch_type ~= "json" then
      invalid('--type must be one of [json merge strategic], not "%s"', op.patch_type)
    end
    local ok, decoded = pcall(json.decode, op.patch)
    if not ok or decoded == nil then
      -- kubectl also accepts YAML; a flow-style patch like {spec: {replicas: 2}} is common.
      op.patch_yaml, decoded = true, nil
    elseif op.patch_type == "json" and not json.is_array(decoded) then
      invalid("a json patch (--type json) must be a JSON array of operations: [{\"op\":\"replace\",\"path\":...}]")
    elseif op.patch_type ~= "json" and (type(decoded) ~= "table" or json.is_array(decoded)) then
      invalid("a %s patch must be a JSON object", op.patch_type)
    end
    op.patch_object = decoded
    op.subresource = f.subresource
    op.dry_run = dry_run(f["dry-run"])
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
  end,
}

VERBS.scale = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, { "replicas", "int", nil }, { "current-replicas", "int", nil, -1 },
    { "resource-version", "string" }, SELECTOR, "all", DRY_RUN, { "timeout", "dur" }, OUTPUT, "record",
    TEMPLATE }),
  write = write_unless_dry,
  build = function(op, f, args)
    op.stdin = stdin_only(f.filename)
    if f.replicas == nil then invalid("required flag(s) \"replicas\" not set") end
    if f.replicas < 0 then invalid("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0") end
    op.replicas = f.replicas
    op.current_replicas = f["current-replicas"]
    if op.current_replicas == -1 then op.current_replicas = nil end
    op.resource_version = f["resource-version"]
    op.resources = resource_args(args, "scale")
    op.selector, op.all = f.selector, f.all
    if #op.resources == 0 and not op.stdin then invalid("kubectl scale needs TYPE NAME or TYPE/NAME") end
    if not op.stdin and #op.resources[1].names == 0 and not op.selector and not op.all then
      invalid("resource(s) were provided, but no name was specified")
    end
    op.dry_run = dry_run(f["dry-run"])
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
  end,
}

local ROLLOUT_SUBS = { status = false, history = false, restart = true, undo = true, pause = true, resume = true }

VERBS.rollout = {
  flags = flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, SELECTOR, { "to-revision", "int" }, { "revision", "int" },
    { "watch", "bool", "w" }, { "timeout", "dur" }, DRY_RUN, OUTPUT, TEMPLATE }),
  write = function(op) return ROLLOUT_SUBS[op.sub] and op.dry_run == nil end,
  build = function(op, f, args)
    local sub = args[1]
    if sub == nil or ROLLOUT_SUBS[sub] == nil then
      invalid("kubectl rollout needs one of status, history, restart, undo, pause, resume; got %s",
        sub and ('"' .. sub .. '"') or "nothing")
    end
    op.sub = sub
    op.stdin = stdin_only(f.filename)
    local rest = {}
    for k = 2, #args do rest[#rest + 1] = args[k] end
    op.resources = resource_args(rest, "rollout " .. sub)
    op.selector = f.selector
    if #op.resources == 0 then invalid("kubectl rollout %s needs TYPE NAME or TYPE/NAME (e.g. deployment/web)", sub) end
    if #op.resources[1].names == 0 and not op.selector then
      invalid("kubectl rollout %s needs a name: TYPE NAME or TYPE/NAME", sub)
    end
    if f["to-revision"] and sub ~= "undo" then invalid("unknown flag: --to-revision (for kubectl rollout %s)", sub) end
    if f.revision and sub ~= "history" and sub ~= "status" then
      invalid("unknown flag: --revision (for kubectl rollout %s)", sub)
    end
    op.to_revision = f["to-revision"]
    if op.to_revision and op.to_revision < 0 then invalid("--to-revision must be 0 or greater") end
    op.revision = f.revision
    op.watch = f.watch ~= false
    op.timeout = f.timeout
    if ROLLOUT_SUBS[sub] then op.dry_run = dry_run(f["dry-run"]) elseif f["dry-run"] then
      invalid("unknown flag: --dry-run (for kubectl rollout %s)", sub)
    end
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
  end,
}

-- label and annotate share their argument rules: resources first, then key=value / key- changes.
-- A label value or the name part of a key: alphanumerics at both ends, - _ . between.
local function qualified(s)
  return s:find("^%w$") ~= nil or s:find("^%w[%w%._%-]*%w$") ~= nil
end

local function check_key(verb, k)
  local prefix, name = k:match("^(.+)/(.+)$")
  name = name or k
  if prefix and (#prefix > 253 or not (prefix:find("^[a-z0-9]$") or prefix:find("^[a-z0-9][a-z0-9%.%-]*[a-z0-9]$"))) then
    invalid('invalid %s key "%s": the prefix must be a DNS subdomain', verb, k)
  end
  if #name > 63 or not qualified(name) then
    invalid('invalid %s key "%s": a name of at most 63 alphanumerics, "-", "_" or ".", starting and ending '
      .. 'with an alphanumeric', verb, k)
  end
end

local function build_meta_change(verb)
  return function(op, f, args)
    op.stdin = stdin_only(f.filename)
    local res, changes, removes = {}, {}, {}
    for _, a in ipairs(args) do
      local k, v = a:match("^([^=]+)=(.*)$")
      if k then
        check_key(verb, k)
        if verb == "label" and (#v > 63 or not (v == "" or qualified(v))) then
          invalid('invalid label value: "%s=%s": a valid label value must be 63 characters or less and must '
            .. 'be empty or begin and end with an alphanumeric character ([a-z0-9A-Z]) with dashes (-), '
            .. 'underscores (_), dots (.), and alphanumerics between', k, v)
        end
        changes[#changes + 1] = { key = k, value = v }
      elseif a:sub(-1) == "-" and #a > 1 and #res > 0 then
        check_key(verb, a:sub(1, -2))
        removes[#removes + 1] = a:sub(1, -2)
      else
        if #changes > 0 or #removes > 0 then
          invalid('all resources must be specified before %s changes: %s', verb, a)
        end
        res[#res + 1] = a
      end
    end
    for _, c in ipairs(changes) do
      for _, r in ipairs(removes) do
        if c.key == r then invalid("can not both modify and remove the %s %s in the same command", verb, r) end
      end
    end
    op.changes, op.removes = changes, removes
    op.list = f.list
    if #changes == 0 and #removes == 0 and not op.list then
      invalid("at least one %s update is required", verb)
    end
    op.resources = resource_args(res, verb)
    if #op.resources == 0 and not op.stdin then
      invalid("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    end
    op.selector, op.field_selector, op.all = f.selector, f["field-selector"], f.all
    if not op.stdin and #op.resources[1].names == 0 and not op.selector and not op.all and not op.field_selector then
      invalid("resource(s) were provided, but no name was specified; name them, or use -l or --all")
    end
    op.overwrite = f.overwrite
    op.resource_version = f["resource-version"]
    op.dry_run = dry_run(f["dry-run"])
    op.output = parse_output(f.output, { name = true, yaml = true, json = true })
  end
end

local function meta_flags()
  return flagset({ FILENAME, REFUSE_FILES, KUSTOMIZE, "overwrite", "all", ALL_NS, SELECTOR, FIELD_SELECTOR,
    { "resource-version", "string" }, DRY_RUN, "list", OUTPUT, "record", TEMPLATE,
    { "local", "bool", refuse = refuse_flag("there are no local files; change the object on the server") } })
end

local function meta_write(op) return not op.list and op.dry_run == nil end

VERBS.label = { flags = meta_flags(), write = meta_write, build = build_meta_change("label") }
VERBS.annotate = { flags = meta_flags(), write = meta_write, build = build_meta_change("annotate") }

local function build_nodes(cmd)
  return function(op, f, args)
    op.selector = f.selector
    if #args == 0 and not op.selector then invalid("kubectl %s needs a NODE name or -l selector", cmd) end
    if #args > 0 and op.selector then invalid("kubectl %s takes a NODE name or -l, not both", cmd) end
    if cmd == "drain" and #args > 1 then invalid("kubectl drain takes one NODE name") end
    op.nodes = {}
    for _, a in ipairs(args) do
      local t, n = a:match("^([^/]+)/(.+)$")
      if t and t ~= "node" and t ~= "nodes" and t ~= "no" then invalid("kubectl %s works on nodes, got %s", cmd, a) end
      op.nodes[#op.nodes + 1] = check_name("node name", n or a)
    end
    op.dry_run = dry_run(f["dry-run"])
  end
end

VERBS.cordon = { flags = flagset({ SELECTOR, DRY_RUN }), write = write_unless_dry, build = build_nodes("cordon") }
VERBS.uncordon = { flags = flagset({ SELECTOR, DRY_RUN }), write = write_unless_dry, build = build_nodes("uncordon") }

VERBS.drain = {
  flags = flagset({ SELECTOR, DRY_RUN, "ignore-daemonsets", "delete-emptydir-data", "delete-local-data", "force",
    { "grace-period", "int", nil, -1 }, { "timeout", "dur" }, "disable-eviction", { "pod-selector", "string" },
    { "skip-wait-for-delete-timeout", "int" }, { "chunk-size", "int" } }),
  write = write_unless_dry,
  build = function(op, f, args)
    build_nodes("drain")(op, f, args)
    op.ignore_daemonsets = f["ignore-daemonsets"]
    op.delete_emptydir_data = f["delete-emptydir-data"] or f["delete-local-data"]
    op.force = f.force
    op.grace_period = positive_or_minus_one(f, "grace-period")
    if op.grace_period == -1 then op.grace_period = nil end
    op.timeout = f.timeout
    op.disable_eviction = f["disable-eviction"]
    op.pod_selector = f["pod-selector"]
  end,
}

VERBS.auth = {
  flags = flagset({ ALL_NS, { "subresource", "string" }, "list", { "quiet", "bool", "q" }, "no-headers", OUTPUT,
    FILENAME }),
  build = function(op, f, args)
    local sub = args[1]
    if sub == "whoami" then
      op.sub = "whoami"
      no_args("auth whoami", args, 1)
      op.output = parse_output(f.output, { json = true, yaml = true })
      return
    end
    if sub ~= "can-i" then
      fail("Unsupported", "auth %s is not supported: only auth can-i and auth whoami are",
        sub and sub or "(nothing)")
    end
    op.sub = "can-i"
    if f.filename then invalid("unknown shorthand flag: 'f' in -f (for kubectl auth can-i)") end
    op.list = f.list
    op.quiet = f.quiet
    op.subresource = f.subresource
    if op.list then
      no_args("auth can-i --list", args, 1)
      return
    end
    if #args < 3 or #args > 4 then invalid("you must specify two or three arguments: verb, resource, and optional resourceName") end
    op.can_verb = args[2]
    if not op.can_verb:find("^[%w%*]+$") then invalid('"%s" is not a verb', op.can_verb) end
    if args[3]:sub(1, 1) == "/" then
      op.non_resource_url = args[3]
      if #args == 4 then invalid("a non-resource URL takes no resource name") end
      return
    end
    local t, n = args[3]:match("^([^/]+)/(.+)$")
    if t then
      if #args == 4 then invalid("you must specify two or three arguments: verb, resource, and optional resourceName") end
      op.can_type, op.can_name = t, n
    else
      op.can_type, op.can_name = args[3], args[4]
    end
    if op.can_type ~= "*" then check_type(op.can_type) end
    if op.can_name then check_name("name", op.can_name) end
  end,
}

-- Refused verbs, each with the tool or command to use instead.
local REFUSED = {
  exec = "exec needs a live stream into the container, which this server does not open; use "
    .. "k8s_logs (or `logs`) for output and k8s_describe (or `describe`) for container state",
  attach = "attach needs a live terminal stream; use k8s_logs (or `logs -f`) to read a container's output",
  ["port-forward"] = "port-forward opens a local listener, which this server does not do; use k8s_get "
    .. "(or `get svc,endpoints`) to find addresses",
  proxy = "proxy opens a local listener, which this server does not do; use `get --raw /path` for API paths",
  cp = "cp copies files through exec, which this server does not open; use k8s_logs for output",
  edit = "edit opens an editor; use k8s_patch or k8s_apply (or `patch`/`apply -f -` here)",
  debug = "debug starts an interactive debugging container; use k8s_describe and k8s_logs",
  run = "run is not supported; create a Pod with k8s_apply (or `apply -f -` with the manifest)",
  expose = "expose is not supported; create the Service with k8s_apply (or `apply -f -`)",
  autoscale = "autoscale is not supported; create the HorizontalPodAutoscaler with k8s_apply (or `apply -f -`)",
  replace = "replace is not supported; use k8s_apply (or `apply -f -`), which updates in place",
  set = "set is not supported; use k8s_patch (or `patch TYPE NAME -p '...'`)",
  taint = "taint is not supported; use `patch node NAME -p '{\"spec\":{\"taints\":[...]}}'`",
  wait = "wait is not supported; use `rollout status` or poll with `get ... -o jsonpath=...`",
  config = "config is not supported: the cluster is chosen with the tool's `context` or `cluster_id` "
    .. "argument (or --context), and credentials are never shown",
  certificate = "certificate approve/deny is not supported; patch the CertificateSigningRequest status through the API",
  completion = "completion prints shell scripts; there is no shell here",
  plugin = "plugins run local programs; not supported",
  kustomize = "kustomize reads local files; render the manifest and pass it in the `manifest` argument with `apply -f -`",
  alpha = "alpha commands are not supported",
  options = "options lists kubectl's global flags; supported here: -n/--namespace, --context, --request-timeout",
  convert = "convert is not supported",
  help = "help is not available; see the tool's description for the supported verbs",
}

---------------------------------------------------------------------------------------------
-- The verb: the first word that is not a flag, skipping global flags and a few common ones a
-- user may put first (-A, -l, -o, --field-selector), whose value words are not the verb.

local PRE_VERB = flagset({ ALL_NS, SELECTOR, OUTPUT, FIELD_SELECTOR })

local function find_verb(words)
  local shorts = {}
  for name, s in pairs(PRE_VERB) do
    if s.short then shorts[s.short] = name end
  end
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--" then return nil end
    if w:sub(1, 1) ~= "-" or w == "-" then return i end
    local s
    if w:sub(1, 2) == "--" then
      local name = w:match("^%-%-([^=]+)")
      s = PRE_VERB[name]
      if not s then
        invalid("flag --%s before the command: put it after the verb (kubectl get pods --%s ...)", name, name)
      end
      if s.refuse then s.refuse(name) end
      if not w:find("=", 1, true) and s.kind ~= "bool" and s.kind ~= "opt" then i = i + 1 end
    else
      -- the last shorthand in a cluster may take the next word as its value
      local j, takes = 2, false
      while j <= #w do
        local name = shorts[w:sub(j, j)]
        if not name then
          invalid("flag %s before the command: put it after the verb (kubectl get pods %s ...)", w, w)
        end
        s = PRE_VERB[name]
        if s.refuse then s.refuse(name) end
        if s.kind ~= "bool" then
          takes = j == #w
          break
        end
        j = j + 1
      end
      if takes then i = i + 1 end
    end
    i = i + 1
  end
  return nil
end

local function timeout_seconds(s)
  if s == nil then return nil end
  if s:find("^%d+$") then return tonumber(s) end
  local v = M.duration(s)
  if not v or v < 0 then
    invalid('invalid argument "%s" for "--request-timeout": use a duration such as 10s or 1m', s)
  end
  return v
end

local function parse_words(words, opts)
  if words[1] == "kubectl" then table.remove(words, 1) end
  if #words == 0 then invalid("empty command: give the arguments after `kubectl`, e.g. get pods -n default") end
  local vi = find_verb(words)
  if not vi then invalid("no command found: give a verb such as get, describe, logs (e.g. get pods -n default)") end
  local verb = words[vi]
  if REFUSED[verb] then fail("Unsupported", "%s", REFUSED[verb]) end
  local def = VERBS[verb]
  if not def then
    invalid('unknown command "%s" for "kubectl"; supported: get, describe, logs, events, top, api-resources, '
      .. 'api-versions, explain, version, cluster-info, auth can-i, apply, create, delete, patch, scale, '
      .. 'rollout, label, annotate, cordon, uncordon, drain, diff', verb)
  end
  local rest = {}
  for k = 1, #words do
    if k ~= vi then rest[#rest + 1] = words[k] end
  end
  local f, args = parse_flags(rest, def.flags, verb)
  local op = { verb = verb, write = false }
  if f.namespace then op.namespace = check_name("namespace", f.namespace) end
  op.all_namespaces = f["all-namespaces"] or false
  op.context = f.context
  if op.context and opts.context and op.context ~= opts.context then
    invalid('--context "%s" and the tool\'s context argument "%s" disagree; give one', op.context, opts.context)
  end
  op.request_timeout = timeout_seconds(f["request-timeout"])
  op.selector = f.selector
  op.field_selector = f["field-selector"]
  def.build(op, f, args)
  if type(def.write) == "function" then
    op.write = def.write(op) and true or false
  end
  if op.write and not opts.allow_write then
    local what = op.sub and (verb .. " " .. op.sub) or verb
    fail("WriteRefused", "`%s` changes the cluster; the server runs read-only (start it with --allow-write), "
      .. "or add --dry-run=server to see what the server would do", what)
  end
  return op
end

-- Parses a command line (the arguments after `kubectl`; a leading `kubectl` is dropped).
-- Returns the operation table, or nil and {code, message}.
function M.parse(line, opts)
  opts = opts or {}
  local words, err = M.tokenize(line)
  if not words then return nil, err end
  local ok, res = pcall(parse_words, words, opts)
  if ok then return res end
  if getmetatable(res) == ERR then return nil, res end
  error(res, 0)
end

M.verbs = VERBS
M.refused = REFUSED

return M
