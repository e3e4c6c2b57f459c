-- kubectl_spec.lua: the kubectl command-line parser (lua/kubectl.lua): POSIX tokenising, shell
-- syntax refused (the injection attempts of issue #5), kubectl's flag rules, every verb's flags,
-- and every refusal with the message a model reads.
local sandboxed = require("sandbox")
local kubectl = sandboxed("kubectl")

local function words(line)
  local w, err = kubectl.tokenize(line)
  assert(w, err and err.message)
  return w
end

local function parse(line, opts)
  local op, err = kubectl.parse(line, opts or { allow_write = true })
  assert(op, err and err.message)
  return op
end

-- Returns the error of a line that must not parse, after checking its code.
local function refused(line, code, opts)
  local op, err = kubectl.parse(line, opts or { allow_write = true })
  assert.is_nil(op, "parsed: " .. line)
  assert.are.equal(code, err.code, err.message)
  assert.matches("^ack_kubectl: ", err.message)
  return err.message
end

describe("kubectl", function()
  describe("tokenize", function()
    it("splits on spaces and tabs", function()
      assert.are.same({ "get", "pods", "-n", "shop" }, words("get  pods\t-n shop "))
    end)

    it("keeps single-quoted text literally", function()
      assert.are.same({ "-o", "jsonpath={.items[*].metadata.name}" }, words("-o 'jsonpath={.items[*].metadata.name}'"))
      assert.are.same({ "a $HOME `x` \\n \"q\"" }, words("'a $HOME `x` \\n \"q\"'"))
    end)

    it("reads double quotes with POSIX backslash rules", function()
      assert.are.same({ 'a "b" \\c $d `e` \\' }, words('"a \\"b\\" \\c \\$d \\`e\\` \\\\"'))
    end)

    it("joins adjacent quoted and unquoted parts into one word", function()
      assert.are.same({ "-p={\"a\": 1}" }, words("-p='{\"a\": 1}'"))
      assert.are.same({ "jsonpath={.a b}" }, words('jsonpath="{.a b}"'))
    end)

    it("keeps an empty quoted word", function()
      assert.are.same({ "get", "", "x" }, words("get '' x"))
      assert.are.same({ "" }, words('""'))
    end)

    it("takes a backslash outside quotes as an escape, and backslash-newline as a continuation", function()
      assert.are.same({ "a b", "c" }, words("a\\ b c"))
      assert.are.same({ "get", "pods", "-n", "x" }, words("get pods \\\n -n x"))
    end)

    it("allows newlines and operators inside quotes", function()
      assert.are.same({ "-p", '{\n "a": "x;y|z&w>v<u(t)"\n}' }, words("-p '{\n \"a\": \"x;y|z&w>v<u(t)\"\n}'"))
    end)

    it("leaves globs and braces alone (nothing expands them)", function()
      assert.are.same({ "jsonpath={.items[*].metadata.name}" }, words("jsonpath={.items[*].metadata.name}"))
    end)

    it("reports unterminated quotes", function()
      local _, err = kubectl.tokenize("get 'pods")
      assert.are.equal("ShellSyntax", err.code)
      assert.matches("unterminated single quote at column 5", err.message)
      _, err = kubectl.tokenize('get "pods')
      assert.matches("unterminated double quote at column 5", err.message)
      _, err = kubectl.tokenize("get pods\\")
      assert.matches("trailing backslash", err.message)
    end)
  end)

  describe("shell syntax (the injection attempts of issue #5)", function()
    local cases = {
      { "get pods; rm -rf /", "`;` would start a second command at column 9" },
      { "get pods;rm -rf /", "`;`" },
      { "get pods $(rm -rf /)", "`$%(` would run a command" },
      { "get pods `rm -rf /`", "a backtick would run a command" },
      { "get pods | sh", "`|` would pipe" },
      { "get pods || true", "`|`" },
      { "get pods && kubectl delete ns shop", "`&`" },
      { "get pods & sleep 1", "`&`" },
      { "get pods > /etc/passwd", "`>` would redirect" },
      { "get pods 2>&1", "`>`" },
      { "apply -f - <<EOF", "`<` would read a file or a heredoc" },
      { "get pods < /dev/zero", "`<`" },
      { "get pods\nrm -rf /", "a newline outside quotes" },
      { "get pods\r\nrm -rf /", "a newline outside quotes" },
      { "get pods (x)", "`%(` would start a subshell" },
      { "get pods $HOME", "`%$HOME` would expand a shell variable" },
      { "get pods ${IFS}", "`%${IFS}`" },
      { 'get pods "$(id)"', "`%$%(`" },
      { 'get pods "`id`"', "a backtick inside double quotes" },
      { 'get pods "$USER"', "`%$USER`" },
      { "get pods # hidden", "`#` would start a shell comment" },
    }
    for _, c in ipairs(cases) do
      it("refuses " .. c[1]:gsub("\n", "\\n"):gsub("\r", "\\r"), function()
        local msg = refused(c[1], "ShellSyntax")
        assert.matches(c[2], msg)
        assert.matches("no shell runs here", msg)
      end)
    end

    it("refuses them before looking at the verb, even for writes in read-only mode", function()
      assert.are.equal("ShellSyntax", select(2, kubectl.parse("delete ns shop; get pods", {})).code)
    end)

    it("accepts the same characters quoted", function()
      local op = parse("get pods -l 'app in (web;api)' --field-selector \"status.phase!=Running\"")
      assert.are.equal("app in (web;api)", op.selector)
      assert.are.equal("status.phase!=Running", op.field_selector)
    end)

    it("accepts a lone $ and a # inside a word", function()
      assert.are.same({ "a$", "b#c" }, words("a$ b#c"))
    end)
  end)

  describe("the verb and global flags", function()
    it("drops a leading kubectl", function()
      assert.are.equal("get", parse("kubectl get pods").verb)
    end)

    it("finds the verb after global flags", function()
      local op = parse("-n shop get pods")
      assert.are.equal("get", op.verb)
      assert.are.equal("shop", op.namespace)
      op = parse("--namespace=shop --context sim -A get pods -o wide")
      assert.are.equal("shop", op.namespace)
      assert.are.equal("sim", op.context)
      assert.is_true(op.all_namespaces)
      assert.are.equal("wide", op.output.format)
      op = parse("-nshop -l app=web get pods")
      assert.are.equal("shop", op.namespace)
      assert.are.equal("app=web", op.selector)
    end)

    it("refuses a verb-specific flag before the verb", function()
      assert.matches("flag %-%-tail before the command", refused("--tail 5 logs x", "InvalidCommand"))
      assert.matches("flag %-p before the command", refused("-p logs x", "InvalidCommand"))
    end)

    it("reads --request-timeout as seconds", function()
      assert.are.equal(5, parse("get pods --request-timeout=5s").request_timeout)
      assert.are.equal(7, parse("get pods --request-timeout 7").request_timeout)
      assert.are.equal(90, parse("get pods --request-timeout=1m30s").request_timeout)
      refused("get pods --request-timeout=soon", "InvalidCommand")
    end)

    it("accepts --context and refuses one that disagrees with the tool's context argument", function()
      assert.are.equal("sim", parse("get pods --context=sim", { context = "sim" }).context)
      assert.matches("disagree", refused("get pods --context=a", "InvalidCommand", { context = "b" }))
    end)

    it("accepts and ignores -v and harmless globals", function()
      assert.are.equal("get", parse("get pods -v=6 --match-server-version --warnings-as-errors").verb)
    end)

    for _, flag in ipairs({ "--kubeconfig=/tmp/k", "--kubeconfig /tmp/k", "--server=https://evil", "-s https://evil",
                            "--token=abc", "--as=system:admin", "--as-group=system:masters", "--as-uid=1",
                            "--cluster=other", "--user=admin", "--username=u", "--password=p",
                            "--certificate-authority=/ca", "--client-certificate=/c", "--client-key=/k",
                            "--insecure-skip-tls-verify", "--tls-server-name=x", "--cache-dir=/tmp" }) do
      it("refuses " .. flag, function()
        local msg = refused("get pods " .. flag, "Refused")
        assert.matches("context", msg)
        refused(flag .. " get pods", "Refused")
      end)
    end

    it("reports an empty command and a missing verb", function()
      assert.matches("empty command", refused("", "InvalidCommand"))
      assert.matches("empty command", refused("kubectl", "InvalidCommand"))
      assert.matches("no command found", refused("-n shop", "InvalidCommand"))
    end)

    it("reports an unknown verb with the list of supported ones", function()
      local msg = refused("frobnicate pods", "InvalidCommand")
      assert.matches('unknown command "frobnicate"', msg)
      assert.matches("rollout", msg)
    end)
  end)

  describe("flags as pflag reads them", function()
    it("takes --flag=value, --flag value, -f value, -fvalue and -f=value", function()
      for _, l in ipairs({ "get pods --namespace=x", "get pods --namespace x", "get pods -n x", "get pods -nx",
                           "get pods -n=x" }) do
        assert.are.equal("x", parse(l).namespace, l)
      end
    end)

    it("combines boolean shorthands and ends a cluster with a valued one", function()
      local op = parse("get pods -Aowide")
      assert.is_true(op.all_namespaces)
      assert.are.equal("wide", op.output.format)
      op = parse("logs x -pf")
      assert.is_true(op.previous)
      assert.is_true(op.follow)
    end)

    it("reads booleans with =false", function()
      assert.is_false(parse("get pods -A=false").all_namespaces)
      assert.is_false(parse("describe pod x --show-events=false").show_events)
      assert.matches('invalid argument "maybe" for "%-%-show%-labels" flag', refused("get pods --show-labels=maybe", "InvalidCommand"))
    end)

    it("takes the next word as a value even when it starts with -", function()
      assert.are.equal("-x", parse("get pods -l -x").selector)
    end)

    it("stops reading flags after --", function()
      local op = parse("get -- pods -n")
      assert.are.same({ { type = "pods", names = { "-n" } } }, op.resources)
    end)

    it("reports unknown flags, missing values and bad numbers as kubectl does", function()
      assert.matches("unknown flag: %-%-frob %(for kubectl get%)", refused("get pods --frob", "InvalidCommand"))
      assert.matches("unknown shorthand flag: 'x' in %-x", refused("get pods -x", "InvalidCommand"))
      assert.matches("flag needs an argument: %-%-selector", refused("get pods --selector", "InvalidCommand"))
      assert.matches("flag needs an argument: 'n' in %-n", refused("get pods -n", "InvalidCommand"))
      assert.matches('invalid argument "ten" for "%-%-tail" flag: strconv.ParseInt', refused("logs x --tail=ten", "InvalidCommand"))
      assert.matches('invalid argument "1x" for "%-%-since" flag: time: invalid duration', refused("logs x --since=1x", "InvalidCommand"))
    end)

    it("parses Go durations", function()
      assert.are.equal(5400, kubectl.duration("1h30m"))
      assert.are.equal(0.25, kubectl.duration("250ms"))
      assert.are.equal(90, kubectl.duration("1.5m"))
      assert.is_nil(kubectl.duration("10"))
      assert.is_nil(kubectl.duration("h"))
    end)
  end)

  describe("names in paths", function()
    for _, bad in ipairs({ "../../etc", "a/b", "a%2Fb", "a?b", "..", "." }) do
      it("refuses namespace " .. bad, function()
        refused("get pods -n '" .. bad .. "'", "InvalidCommand")
      end)
    end

    it("refuses a name that would change the URL path", function()
      assert.matches("not a valid name", refused("get pods 'x?watch=1'", "InvalidCommand"))
      assert.matches("not a valid name", refused("logs 'a b'", "InvalidCommand"))
    end)

    it("refuses a resource type that is not a name", function()
      assert.matches("is not a resource type", refused("get 'po ds'", "InvalidCommand"))
    end)
  end)

  describe("get", function()
    it("reads TYPE, TYPE NAME..., TYPE/NAME... and TYPE1,TYPE2", function()
      assert.are.same({ { type = "pods", names = {} } }, parse("get pods").resources)
      assert.are.same({ { type = "po", names = { "a", "b" } } }, parse("get po a b").resources)
      assert.are.same({ { type = "pods", names = { "a", "b" } }, { type = "svc", names = { "c" } } },
        parse("get pods/a pods/b svc/c").resources)
      assert.are.same({ { type = "deploy", names = {} }, { type = "svc", names = {} } }, parse("get deploy,svc").resources)
      assert.are.same({ { type = "deployments.apps", names = { "web" } } }, parse("get deployments.apps web").resources)
    end)

    it("refuses mixed argument forms as kubectl does", function()
      assert.matches("no need to specify a resource type as a separate argument", refused("get pods pods/a", "InvalidCommand"))
      assert.matches("must have a single resource and name", refused("get pods/a b", "InvalidCommand"))
      assert.matches("only one resource type when naming objects", refused("get pods,svc a", "InvalidCommand"))
      assert.matches("You must specify the type of resource to get", refused("get", "InvalidCommand"))
    end)

    it("reads -l, --field-selector, -A, --show-labels, -L, --sort-by, --chunk-size, --limit, --continue", function()
      local op = parse("get pods -l app=web --field-selector=status.phase=Running -A --show-labels -L app,tier "
        .. "--sort-by=.metadata.creationTimestamp --chunk-size=50 --limit 20 --no-headers --show-kind --ignore-not-found")
      assert.are.equal("app=web", op.selector)
      assert.are.equal("status.phase=Running", op.field_selector)
      assert.is_true(op.all_namespaces)
      assert.is_true(op.show_labels)
      assert.are.same({ "app", "tier" }, op.label_columns)
      assert.are.equal(".metadata.creationTimestamp", op.sort_by.path)
      assert.are.equal(50, op.chunk_size)
      assert.are.equal(20, op.limit)
      assert.is_true(op.no_headers)
      assert.is_true(op.show_kind)
      assert.is_true(op.ignore_not_found)
      assert.are.equal("abc", parse("get pods --continue=abc").continue)
      refused("get pods --limit=0", "InvalidCommand")
    end)

    it("reads every -o format", function()
      for _, f in ipairs({ "wide", "yaml", "json", "name" }) do
        assert.are.equal(f, parse("get pods -o " .. f).output.format)
      end
      local op = parse("get pod p -o jsonpath='{.status.phase}'")
      assert.are.equal("jsonpath", op.output.format)
      assert.are.equal("{.status.phase}", op.output.template)
      assert.is_table(op.output.jsonpath)
      op = parse("get pods -o=jsonpath-as-json={.items[*].metadata.name}")
      assert.are.equal("jsonpath-as-json", op.output.format)
      op = parse("get pods -o custom-columns=NAME:.metadata.name,PHASE:{.status.phase}")
      assert.are.equal("custom-columns", op.output.format)
      assert.are.equal(2, #op.output.columns)
      assert.are.equal("PHASE", op.output.columns[2].header)
    end)

    it("reports bad output formats and templates", function()
      assert.matches('unable to match a printer suitable for the output format "table"', refused("get pods -o table", "InvalidCommand"))
      assert.matches("template format specified but no template given", refused("get pods -o jsonpath", "InvalidCommand"))
      assert.matches("error parsing jsonpath {%.a, unclosed action", refused("get pods -o jsonpath={.a", "InvalidCommand"))
      assert.matches("expected <header>:<json%-path%-expr>", refused("get pods -o custom-columns=NAME", "InvalidCommand"))
      assert.matches("Go templates are not evaluated", refused("get pods -o go-template={{.x}}", "Unsupported"))
      assert.matches("Go templates", refused("get pods --template={{.x}}", "Unsupported"))
      assert.matches("no files are read", refused("get pods -o jsonpath-file=/etc/x", "Unsupported"))
    end)

    it("reads -w as a bounded watch and --raw as a path", function()
      assert.is_true(parse("get pods -w").watch)
      assert.is_true(parse("get pods --watch-only").watch_only)
      assert.are.equal("/api/v1/namespaces", parse("get --raw /api/v1/namespaces").raw)
      refused("get --raw api/v1", "InvalidCommand")
      refused("get pods --raw /api", "InvalidCommand")
    end)

    it("refuses files and kustomize directories", function()
      assert.matches("manifest", refused("get -f pod.yaml", "Unsupported"))
      assert.matches("kustomize", refused("get -k dir/", "Unsupported"))
      assert.is_true(parse("get -f -").stdin)
    end)

    it("is a read", function()
      assert.is_false(parse("get pods", {}).write)
    end)
  end)

  describe("describe", function()
    it("reads TYPE NAME, TYPE/NAME, -l and --show-events", function()
      local op = parse("describe pod web-1 -n shop")
      assert.are.same({ { type = "pod", names = { "web-1" } } }, op.resources)
      assert.is_true(op.show_events)
      op = parse("describe deploy -l app=web --show-events=false")
      assert.are.equal("app=web", op.selector)
      assert.is_false(op.show_events)
      assert.matches("You must specify the type of resource to describe", refused("describe", "InvalidCommand"))
    end)
  end)

  describe("logs", function()
    it("reads a pod, TYPE/NAME and an inline container", function()
      local op = parse("logs web-1 nginx")
      assert.are.same({ type = "pods", name = "web-1" }, op.ref)
      assert.are.equal("nginx", op.container)
      op = parse("logs deploy/web")
      assert.are.same({ type = "deploy", name = "web" }, op.ref)
    end)

    it("reads -c, --tail, --since, --since-time, -p, --timestamps, --limit-bytes, -f, --all-containers, --prefix", function()
      local op = parse("logs web-1 -c nginx --tail=20 --since=1h -p --timestamps --limit-bytes=1000 -f --prefix")
      assert.are.equal("nginx", op.container)
      assert.are.equal(20, op.tail)
      assert.are.equal(3600, op.since)
      assert.is_true(op.previous)
      assert.is_true(op.timestamps)
      assert.are.equal(1000, op.limit_bytes)
      assert.is_true(op.follow)
      assert.is_true(op.prefix)
      assert.are.equal("2024-05-01T10:00:00Z", parse("logs x --since-time=2024-05-01T10:00:00Z").since_time)
      assert.is_true(parse("logs x --all-containers").all_containers)
      assert.is_true(parse("logs x --previous").previous)
      assert.is_nil(parse("logs x --tail=-1").tail)
    end)

    it("defaults --tail to 10 with a selector, as kubectl does", function()
      local op = parse("logs -l app=web")
      assert.are.equal("app=web", op.selector)
      assert.are.equal(10, op.tail)
      assert.are.equal(50, parse("logs -l app=web --tail 50").tail)
    end)

    it("reports conflicting and missing arguments", function()
      assert.matches("expected POD_NAME", refused("logs", "InvalidCommand"))
      assert.matches("only one of %-c or an inline", refused("logs a b -c c", "InvalidCommand"))
      assert.matches("only one of a selector", refused("logs a -l x=y", "InvalidCommand"))
      assert.matches("at most one of `sinceTime` or `sinceSeconds`", refused("logs a --since=1h --since-time=2024-05-01T10:00:00Z", "InvalidCommand"))
      assert.matches("%-%-container cannot be used with %-%-all%-containers", refused("logs a -c x --all-containers", "InvalidCommand"))
      assert.matches("RFC 3339", refused("logs a --since-time=yesterday", "InvalidCommand"))
      refused("logs a --tail=-5", "InvalidCommand")
    end)
  end)

  describe("events", function()
    it("reads --for, --types, -A, -o and -w", function()
      local op = parse("events --for deploy/web --types=Warning,normal -A -o json -w")
      assert.are.same({ type = "deploy", name = "web" }, op.for_ref)
      assert.are.same({ "Warning", "Normal" }, op.types)
      assert.is_true(op.all_namespaces)
      assert.are.equal("json", op.output.format)
      assert.is_true(op.watch)
      assert.are.same({ type = "pods", name = "web-1" }, parse("events --for web-1").for_ref)
      assert.matches("valid %-%-types are Normal or Warning", refused("events --types=Error", "InvalidCommand"))
      refused("events -o wide", "InvalidCommand")
    end)
  end)

  describe("top", function()
    it("reads pod and node with their flags", function()
      local op = parse("top pod -A -l app=web --containers --sort-by=memory --sum")
      assert.are.equal("pod", op.sub)
      assert.is_true(op.containers)
      assert.are.equal("memory", op.sort_by)
      op = parse("top nodes node-1 --show-capacity")
      assert.are.equal("node", op.sub)
      assert.are.equal("node-1", op.name)
      assert.is_true(op.show_capacity)
      assert.are.equal("pod", parse("top po").sub)
    end)

    it("refuses pod-only flags on nodes and bad sort keys", function()
      assert.matches("unknown flag: %-%-containers %(for kubectl top node%)", refused("top node --containers", "InvalidCommand"))
      refused("top node -A", "InvalidCommand")
      assert.matches("only cpu or memory", refused("top pod --sort-by=name", "InvalidCommand"))
      assert.matches("needs pod or node", refused("top deploy", "InvalidCommand"))
      assert.matches("only one of NAME or %-%-selector", refused("top pod x -l a=b", "InvalidCommand"))
    end)
  end)

  describe("api-resources, api-versions, explain, version, cluster-info", function()
    it("reads api-resources flags", function()
      local op = parse("api-resources --namespaced=false --api-group=apps -o wide --sort-by=kind --verbs=list,get")
      assert.is_false(op.namespaced)
      assert.are.equal("apps", op.api_group)
      assert.are.equal("wide", op.output.format)
      assert.are.equal("kind", op.sort_by)
      assert.are.same({ "list", "get" }, op.verbs)
      assert.are.equal("name", parse("api-resources -o name").output.format)
      refused("api-resources -o yaml", "InvalidCommand")
      refused("api-resources pods", "InvalidCommand")
    end)

    it("reads explain TYPE.FIELD.PATH with --recursive and --api-version", function()
      local op = parse("explain pods.spec.containers --recursive --api-version=v1")
      assert.are.equal("pods", op.type)
      assert.are.same({ "spec", "containers" }, op.field_path)
      assert.is_true(op.recursive)
      assert.are.equal("v1", op.api_version)
      assert.are.same({}, parse("explain deploy").field_path)
      refused("explain", "InvalidCommand")
    end)

    it("reads version and api-versions and refuses cluster-info dump", function()
      assert.are.equal("json", parse("version -o json").output.format)
      assert.are.equal("api-versions", parse("api-versions").verb)
      assert.are.equal("cluster-info", parse("cluster-info").verb)
      refused("cluster-info dump", "Unsupported")
    end)
  end)

  describe("auth", function()
    it("reads can-i VERB TYPE [NAME], TYPE/NAME, non-resource URLs, --subresource and --list", function()
      local op = parse("auth can-i delete nodes")
      assert.are.equal("can-i", op.sub)
      assert.are.equal("delete", op.can_verb)
      assert.are.equal("nodes", op.can_type)
      op = parse("auth can-i get pods web-1 -n shop --subresource=log")
      assert.are.equal("web-1", op.can_name)
      assert.are.equal("log", op.subresource)
      op = parse("auth can-i update deploy/web")
      assert.are.equal("deploy", op.can_type)
      assert.are.equal("web", op.can_name)
      assert.are.equal("/healthz", parse("auth can-i get /healthz").non_resource_url)
      assert.is_true(parse("auth can-i --list").list)
      assert.are.equal("*", parse("auth can-i '*' '*'").can_type)
      assert.are.equal("whoami", parse("auth whoami").sub)
    end)

    it("is a read, and refuses other auth subcommands", function()
      assert.is_false(parse("auth can-i delete pods", {}).write)
      refused("auth reconcile -f -", "Unsupported")
      refused("auth can-i delete", "InvalidCommand")
    end)
  end)

  describe("write verbs", function()
    local writes = {
      "apply -f -", "create -f -", "create namespace x", "delete pod x", "patch deploy web -p '{}'",
      "scale deploy web --replicas=2", "rollout restart deploy/web", "rollout undo deploy/web",
      "rollout pause deploy/web", "rollout resume deploy/web", "label pod x a=b", "annotate pod x a=b",
      "cordon node-1", "uncordon node-1", "drain node-1",
    }
    for _, line in ipairs(writes) do
      it("refuses `" .. line .. "` in read-only mode, naming --allow-write", function()
        local msg = refused(line, "WriteRefused", {})
        assert.matches("changes the cluster; the server runs read%-only %(start it with %-%-allow%-write%)", msg)
        assert.is_true(parse(line).write)
      end)
    end

    it("names the verb in the refusal", function()
      assert.matches("^ack_kubectl: `delete` changes the cluster", refused("delete pod x", "WriteRefused", {}))
      assert.matches("^ack_kubectl: `rollout restart` changes", refused("rollout restart deploy/x", "WriteRefused", {}))
    end)

    it("allows a dry run in read-only mode (it stores nothing)", function()
      for _, line in ipairs({ "delete pod x --dry-run=server", "apply -f - --dry-run=server", "scale deploy web --replicas=1 --dry-run=client",
                              "label pod x a=b --dry-run=server", "drain node-1 --dry-run=server", "create ns x --dry-run=server" }) do
        local op = parse(line, {})
        assert.is_false(op.write, line)
      end
      assert.are.equal("client", parse("delete pod x --dry-run", {}).dry_run)
      assert.matches("Invalid dry%-run value", refused("delete pod x --dry-run=maybe", "InvalidCommand"))
    end)

    it("treats rollout status/history and label --list as reads", function()
      assert.is_false(parse("rollout status deploy/web", {}).write)
      assert.is_false(parse("rollout history deploy/web --revision=2", {}).write)
      assert.is_false(parse("label pod x --list", {}).write)
    end)
  end)

  describe("apply and create", function()
    it("takes the manifest from -f - only", function()
      local op = parse("apply -f - --server-side --force-conflicts --dry-run=server -o yaml")
      assert.is_true(op.stdin)
      assert.is_true(op.force_conflicts)
      assert.is_true(op.server_side)
      assert.are.equal("server", op.dry_run)
      assert.are.equal("yaml", op.output.format)
      assert.matches("no files are read here", refused("apply -f deploy.yaml", "Unsupported"))
      assert.matches("no files are read here", refused("apply -f https://example.com/x.yaml", "Unsupported"))
      assert.matches("must specify %-f %-", refused("apply", "InvalidCommand"))
      assert.matches("pruning deletes", refused("apply -f - --prune", "Unsupported"))
      assert.matches("kustomize", refused("apply -k .", "Unsupported"))
      refused("apply edit-last-applied deploy/x", "Unsupported")
    end)

    it("reads create namespace, configmap, secret generic, serviceaccount, deployment", function()
      assert.are.equal("namespace", parse("create ns team-a").sub)
      local op = parse("create configmap cfg --from-literal=a=1 --from-literal=b=x=y")
      assert.are.equal("configmap", op.sub)
      assert.are.same({ { key = "a", value = "1" }, { key = "b", value = "x=y" } }, op.literals)
      op = parse("create secret generic s --from-literal=password=hunter2")
      assert.are.equal("secret", op.sub)
      assert.are.equal("s", op.name)
      assert.are.equal("serviceaccount", parse("create sa robot").sub)
      op = parse("create deployment web --image=nginx:1.25 --replicas=2 --port=80")
      assert.are.same({ "nginx:1.25" }, op.images)
      assert.are.equal(2, op.replicas)
      assert.are.equal(80, op.port)
    end)

    it("refuses what create cannot do here", function()
      assert.matches("required flag%(s%) \"image\" not set", refused("create deployment web", "InvalidCommand"))
      assert.matches("create it from a manifest", refused("create service clusterip x", "Unsupported"))
      assert.matches("create secret generic", refused("create secret tls x", "Unsupported"))
      assert.matches("no files", refused("create configmap x --from-file=a.txt", "Unsupported"))
      assert.matches("editor", refused("create -f - --edit", "Unsupported"))
      assert.matches("NAME is required", refused("create ns", "InvalidCommand"))
      assert.matches("key=value", refused("create cm x --from-literal=novalue", "InvalidCommand"))
    end)
  end)

  describe("delete", function()
    it("reads names, selectors and options", function()
      local op = parse("delete pod x y --grace-period=0 --cascade=foreground --wait=false")
      assert.are.same({ { type = "pod", names = { "x", "y" } } }, op.resources)
      assert.are.equal(0, op.grace_period)
      assert.are.equal("Foreground", op.propagation)
      op = parse("delete pods -l app=web")
      assert.are.equal("app=web", op.selector)
      assert.are.equal("Background", parse("delete deploy x --cascade").propagation)
      assert.are.equal("Orphan", parse("delete deploy x --cascade=orphan").propagation)
      assert.are.equal(1, parse("delete pod x --now").grace_period)
      assert.are.equal(0, parse("delete pod x --force").grace_period)
      assert.is_true(parse("delete pods --all").all)
      assert.is_true(parse("delete -f -").stdin)
    end)

    it("refuses deletes that name nothing, or ask interactively", function()
      assert.matches("no name was specified", refused("delete pods", "InvalidCommand"))
      assert.matches("You must provide one or more resources", refused("delete", "InvalidCommand"))
      assert.matches("name cannot be provided when a selector", refused("delete pod x -l a=b", "InvalidCommand"))
      assert.matches("invalid cascade value", refused("delete pod x --cascade=sideways", "InvalidCommand"))
      assert.matches("confirmation", refused("delete pod x -i", "Unsupported"))
    end)
  end)

  describe("patch", function()
    it("reads -p and --type strategic|merge|json", function()
      local op = parse("patch deploy web -p '{\"spec\":{\"replicas\":2}}'")
      assert.are.equal("strategic", op.patch_type)
      assert.are.same({ spec = { replicas = 2 } }, op.patch_object)
      op = parse("patch deploy/web --type merge -p '{\"spec\":{\"paused\":true}}'")
      assert.are.equal("merge", op.patch_type)
      op = parse("patch deploy web --type=json -p='[{\"op\":\"remove\",\"path\":\"/spec/x\"}]'")
      assert.are.equal("json", op.patch_type)
      op = parse("patch deploy web -p '{spec: {replicas: 2}}'")
      assert.is_true(op.patch_yaml)
      assert.are.equal("status", parse("patch deploy web -p '{}' --subresource=status").subresource)
    end)

    it("refuses patches that cannot apply", function()
      assert.matches("must specify %-p", refused("patch deploy web", "InvalidCommand"))
      assert.matches("%-%-type must be one of", refused("patch deploy web -p '{}' --type=xml", "InvalidCommand"))
      assert.matches("JSON array of operations", refused("patch deploy web --type=json -p '{}'", "InvalidCommand"))
      assert.matches("must be a JSON object", refused("patch deploy web -p '[1]'", "InvalidCommand"))
      assert.matches("TYPE NAME", refused("patch deploy -p '{}'", "InvalidCommand"))
      assert.matches("put the patch in %-p", refused("patch deploy web --patch-file=x.json", "Unsupported"))
      assert.matches("local", refused("patch deploy web -p '{}' --local", "Unsupported"))
    end)
  end)

  describe("scale", function()
    it("reads --replicas, --current-replicas and --resource-version", function()
      local op = parse("scale deploy/web --replicas=5 --current-replicas=3 --resource-version=42")
      assert.are.equal(5, op.replicas)
      assert.are.equal(3, op.current_replicas)
      assert.are.equal("42", op.resource_version)
      assert.are.same({ { type = "deploy", names = { "web" } } }, op.resources)
    end)

    it("requires a non-negative --replicas and a name", function()
      assert.matches("required flag%(s%) \"replicas\" not set", refused("scale deploy web", "InvalidCommand"))
      refused("scale deploy web --replicas=-1", "InvalidCommand")
      refused("scale deploy --replicas=1", "InvalidCommand")
    end)
  end)

  describe("rollout", function()
    it("reads status, history, restart, undo, pause, resume", function()
      local op = parse("rollout status deploy/web --timeout=30s -w=false")
      assert.are.equal("status", op.sub)
      assert.are.equal(30, op.timeout)
      assert.is_false(op.watch)
      assert.are.equal(2, parse("rollout history deploy web --revision=2").revision)
      assert.are.equal(1, parse("rollout undo deploy/web --to-revision=1").to_revision)
      assert.are.equal("restart", parse("rollout restart deployment web").sub)
    end)

    it("refuses unknown subcommands and misplaced flags", function()
      assert.matches("needs one of status", refused("rollout deploy/web", "InvalidCommand"))
      assert.matches("needs one of status", refused("rollout", "InvalidCommand"))
      assert.matches("%-%-to%-revision", refused("rollout status deploy/web --to-revision=1", "InvalidCommand"))
      assert.matches("needs a name", refused("rollout status deploy", "InvalidCommand"))
      assert.matches("%-%-dry%-run", refused("rollout history deploy/web --dry-run=server", "InvalidCommand"))
    end)
  end)

  describe("label and annotate", function()
    it("reads key=value and key- changes after the resources", function()
      local op = parse("label pods web-1 env=prod tier- --overwrite")
      assert.are.same({ { key = "env", value = "prod" } }, op.changes)
      assert.are.same({ "tier" }, op.removes)
      assert.is_true(op.overwrite)
      op = parse("annotate deploy/web example.com/note='hello world' --resource-version=7")
      assert.are.same({ { key = "example.com/note", value = "hello world" } }, op.changes)
      assert.are.equal("7", op.resource_version)
      op = parse("label pods -l app=web team=a")
      assert.are.equal("app=web", op.selector)
      assert.is_true(parse("label pods --all team=a").all)
    end)

    it("refuses bad keys, bad label values and contradictions", function()
      assert.matches("at least one label update is required", refused("label pod x", "InvalidCommand"))
      assert.matches("invalid label value", refused("label pod x a='b c'", "InvalidCommand"))
      assert.matches("invalid label key", refused("label pod x _a=b", "InvalidCommand"))
      assert.matches("prefix must be a DNS subdomain", refused("label pod x Bad_Prefix/a=b", "InvalidCommand"))
      assert.matches("both modify and remove", refused("label pod x a=b a-", "InvalidCommand"))
      assert.matches("before label changes", refused("label pod a=b x", "InvalidCommand"))
      assert.is_true(parse("annotate pod x note='any value: at all!'").write)
    end)
  end)

  describe("cordon, uncordon, drain", function()
    it("reads node names and selectors", function()
      assert.are.same({ "node-1", "node-2" }, parse("cordon node-1 node/node-2").nodes)
      assert.are.equal("pool=a", parse("uncordon -l pool=a").selector)
      local op = parse("drain node-1 --ignore-daemonsets --delete-emptydir-data --force --grace-period=10 "
        .. "--timeout=2m --pod-selector=app=web --disable-eviction")
      assert.is_true(op.ignore_daemonsets)
      assert.is_true(op.delete_emptydir_data)
      assert.is_true(op.force)
      assert.are.equal(10, op.grace_period)
      assert.are.equal(120, op.timeout)
      assert.are.equal("app=web", op.pod_selector)
      assert.is_true(op.disable_eviction)
      assert.is_true(parse("drain node-1 --delete-local-data").delete_emptydir_data)
    end)

    it("refuses a drain without one node and non-node arguments", function()
      refused("drain", "InvalidCommand")
      refused("drain a b", "InvalidCommand")
      assert.matches("works on nodes", refused("cordon pod/x", "InvalidCommand"))
    end)
  end)

  describe("refused verbs name what to use instead", function()
    local cases = {
      { "exec -it web-1 -- sh", "k8s_logs" },
      { "exec web-1 -- cat /etc/passwd", "k8s_logs" },
      { "exec -ti web-1 -- sh", "k8s_logs" },
      { "exec --stdin --tty web-1 -- sh", "k8s_logs" },
      { "attach web-1 -it", "k8s_logs" },
      { "port-forward svc/web 8080:80", "k8s_get" },
      { "proxy --port=8001", "get %-%-raw" },
      { "cp web-1:/etc/passwd /tmp/x", "k8s_logs" },
      { "edit deploy/web", "k8s_patch" },
      { "debug web-1 -it --image=busybox", "k8s_describe" },
      { "run x --image=nginx", "k8s_apply" },
      { "expose deploy web --port=80", "k8s_apply" },
      { "autoscale deploy web --max=5", "k8s_apply" },
      { "replace -f -", "k8s_apply" },
      { "set image deploy/web nginx=nginx:2", "k8s_patch" },
      { "taint nodes n1 a=b:NoSchedule", "patch node" },
      { "wait --for=condition=Ready pod/x", "rollout status" },
      { "config view --raw", "context" },
      { "config use-context other", "context" },
      { "certificate approve csr-1", "CertificateSigningRequest" },
      { "completion bash", "no shell" },
      { "plugin list", "not supported" },
      { "kustomize .", "manifest" },
    }
    for _, c in ipairs(cases) do
      it("refuses " .. c[1], function()
        local msg = refused(c[1], "Unsupported")
        assert.matches(c[2], msg)
      end)
    end

    it("refuses them in read-only mode as unsupported, not as writes", function()
      assert.are.equal("Unsupported", select(2, kubectl.parse("exec -it x -- sh", {})).code)
    end)
  end)

  describe("robustness", function()
    it("never raises on random input", function()
      local alphabet = { "get", "pods", "-n", "x", "'", '"', "\\", "-", "--", "=", "/", ",", " ", "-o", "jsonpath={",
                         "}", "[", "]", "$", "`", ";", "\n", "-l", "logs", "-c", "delete", "--dry-run", "apply", "-f" }
      local seed = 7
      local function rnd(n)
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed % n + 1
      end
      for _ = 1, 2000 do
        local parts = {}
        for k = 1, rnd(8) do parts[k] = alphabet[rnd(#alphabet)] end
        local line = table.concat(parts, rnd(2) == 1 and " " or "")
        local ok, op, err = pcall(kubectl.parse, line, { allow_write = rnd(2) == 1 })
        assert.is_true(ok, line .. ": " .. tostring(op))
        assert.is_true(op ~= nil or (type(err) == "table" and type(err.message) == "string"), line)
      end
    end)

    it("handles a very long line in linear time", function()
      local line = "get pods -l " .. string.rep("a", 200000)
      local op = parse(line)
      assert.are.equal(200000, #op.selector)
    end)
  end)
end)
