local render = require("render")
local sandboxed = require("sandbox")

local function lines(...) return table.concat({ ... }, "\n") end

local NOW = 1796483672 -- 2026-12-05T15:14:32Z

-- A `kubectl get pods -n shop` Table from tests/sim/k8s (includeObject=Metadata, row
-- objects trimmed). render.table's output for the whole of it was compared with the real
-- kubectl's against the simulator, byte for byte (trailing spaces aside).
local POD_TABLE = [[{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"1188"},
"columnDefinitions":[{"name":"Name","type":"string","format":"name","priority":0},
 {"name":"Ready","type":"string","format":"","priority":0},{"name":"Status","type":"string","format":"","priority":0},
 {"name":"Restarts","type":"string","format":"","priority":0},{"name":"Age","type":"string","format":"","priority":0},
 {"name":"IP","type":"string","format":"","priority":1},{"name":"Node","type":"string","format":"","priority":1},
 {"name":"Nominated Node","type":"string","format":"","priority":1},
 {"name":"Readiness Gates","type":"string","format":"","priority":1}],
"rows":[
 {"cells":["api-4wnxgqcw94-wwpzc","0/1","CrashLoopBackOff","7 (29m ago)","3h22m","172.20.1.110","cn-hangzhou.10.0.1.11","<none>","<none>"],
  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"api-4wnxgqcw94-wwpzc",
   "namespace":"shop","labels":{"app":"api","tier":"backend","pod-template-hash":"4wnxgqcw94"}}}},
 {"cells":["payments-8vllfsh6pq-nmn8m","0/1","Pending","0","142m","<none>","<none>","<none>","<none>"],
  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"payments-8vllfsh6pq-nmn8m",
   "namespace":"shop","labels":{"app":"payments","pod-template-hash":"8vllfsh6pq"}}}},
 {"cells":["redis-0","1/1","Running","0","12d","172.20.1.115","cn-hangzhou.10.0.1.11","<none>","<none>"],
  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"redis-0",
   "namespace":"shop","labels":{"app":"redis","statefulset.kubernetes.io/pod-name":"redis-0"}}}},
 {"cells":["worker-pxptb5pwd5-7nphk","1/1","Running","3 (47m ago)","5d","172.20.1.113","cn-hangzhou.10.0.1.11","<none>","<none>"],
  "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"worker-pxptb5pwd5-7nphk",
   "namespace":"shop","labels":{"app":"worker","pod-template-hash":"pxptb5pwd5"}}}}]}]]

local function table_of(defs, rows)
  local t = { kind = "Table", apiVersion = "meta.k8s.io/v1", columnDefinitions = {}, rows = {} }
  for i, d in ipairs(defs) do
    t.columnDefinitions[i] = { name = d[1], type = d[2] or "string", format = "", priority = d[3] or 0 }
  end
  for i, cells in ipairs(rows) do t.rows[i] = { cells = cells } end
  return t
end

describe("render", function()
  it("loads in the host's sandbox (no io, os, time or settings)", function()
    local r = sandboxed("render")
    assert.are.equal("5d3h", r.age(5 * 86400 + 3 * 3600))
    assert.are.equal("<unknown>", r.since("2026-12-05T15:14:32Z")) -- no time.now() to default to
    local text, info = r.budget(string.rep("x\n", 20000))
    assert.is_true(#text <= 32768)
    assert.is_true(info.truncated)
  end)

  describe("age", function()
    -- Expected values from k8s.io/apimachinery duration.HumanDuration (via the simulator's
    -- port of it, tests/sim/k8s/table.py).
    local cases = {
      { -3, "<invalid>" }, { -2, "<invalid>" }, { -1.9, "0s" }, { -1, "0s" }, { -0.5, "0s" }, { 0, "0s" },
      { 0.9, "0s" }, { 1, "1s" }, { 59, "59s" }, { 119, "119s" }, { 119.9, "119s" }, { 120, "2m" },
      { 121, "2m1s" }, { 179, "2m59s" }, { 180, "3m" }, { 599, "9m59s" }, { 600, "10m" }, { 601, "10m" },
      { 660, "11m" }, { 3599, "59m" }, { 3600, "60m" }, { 10799, "179m" }, { 10800, "3h" },
      { 10860, "3h1m" }, { 28799, "7h59m" }, { 28800, "8h" }, { 28860, "8h" }, { 172799, "47h" },
      { 172800, "2d" }, { 176400, "2d1h" }, { 691199, "7d23h" }, { 691200, "8d" },
      { 63071999, "729d" }, { 63072000, "2y" }, { 63158400, "2y1d" }, { 252287999, "7y364d" },
      { 252288000, "8y" }, { 315360000, "10y" },
    }
    for _, c in ipairs(cases) do
      it("renders " .. tostring(c[1]) .. "s as " .. c[2], function()
        assert.are.equal(c[2], render.age(c[1]))
      end)
    end

    it("says <invalid> for NaN and infinities, and raises on a non-number", function()
      assert.are.equal("<invalid>", render.age(0 / 0))
      assert.are.equal("<invalid>", render.age(math.huge))
      assert.has_error(function() render.age("5") end, "bad argument #1 to 'age' (number expected, got string)")
    end)
  end)

  describe("parse_time and since", function()
    it("reads RFC 3339 timestamps with fractions and offsets", function()
      assert.are.equal(NOW, render.parse_time("2026-12-05T15:14:32Z"))
      assert.are.equal(0, render.parse_time("1970-01-01T00:00:00Z"))
      assert.are.equal(951782400, render.parse_time("2000-02-29T00:00:00Z"))
      assert.are.equal(NOW + 0.5, render.parse_time("2026-12-05T15:14:32.500000Z"))
      assert.are.equal(NOW, render.parse_time("2026-12-05T23:14:32+08:00"))
      assert.are.equal(NOW, render.parse_time("2026-12-05T10:14:32-05:00"))
    end)

    it("rejects what is not a timestamp", function()
      for _, s in ipairs({ "", "2026-12-05", "2026-12-05T15:14:32", "2026-13-05T15:14:32Z",
                           "2026-12-05T15:14:32+0800", "yesterday" }) do
        assert.is_nil(render.parse_time(s), s)
      end
      assert.is_nil(render.parse_time(nil))
      assert.is_nil(render.parse_time(json.null))
    end)

    it("gives an age at a given time, <unknown> without a timestamp", function()
      assert.are.equal("3h", render.since("2026-12-05T12:14:32Z", NOW))
      assert.are.equal("0s", render.since("2026-12-05T15:14:33Z", NOW))
      assert.are.equal("<unknown>", render.since(nil, NOW))
      assert.are.equal("<unknown>", render.since(json.null, NOW))
      assert.are.equal("<unknown>", render.since("garbage", NOW))
    end)
  end)

  describe("clean", function()
    local function deployment()
      return json.decode([[{"kind":"Deployment","metadata":{"name":"api","annotations":{
        "kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Deployment\"}\n",
        "deployment.kubernetes.io/revision":"2"},
        "managedFields":[{"manager":"kubectl","operation":"Apply","fieldsV1":{"f:spec":{}}}]},
        "spec":{"replicas":2,"template":{"metadata":{"annotations":{}}}}}]])
    end

    it("drops managedFields and the last-applied annotation, keeping the rest", function()
      local d = deployment()
      local before = json.encode(d)
      local out = render.clean(d)
      assert.is_nil(out.metadata.managedFields)
      assert.are.same({ ["deployment.kubernetes.io/revision"] = "2" }, out.metadata.annotations)
      assert.are.equal(2, out.spec.replicas)
      assert.are.equal(before, json.encode(d)) -- input untouched
    end)

    it("removes annotations left empty, and keeps empty objects elsewhere", function()
      local d = deployment()
      d.metadata.annotations["deployment.kubernetes.io/revision"] = nil
      local out = render.clean(d)
      assert.is_nil(out.metadata.annotations)
      assert.are.same({}, out.spec.template.metadata.annotations)
    end)

    it("cleans every item of a List and every row object of a Table", function()
      local l = { kind = "DeploymentList", items = json.array({ deployment(), deployment() }) }
      local out = render.clean(l)
      assert.is_true(json.is_array(out.items))
      for _, item in ipairs(out.items) do assert.is_nil(item.metadata.managedFields) end
      local t = json.decode(POD_TABLE)
      t.rows[1].object.metadata.managedFields = json.array({ { manager = "x" } })
      local tout = render.clean(t)
      assert.is_nil(tout.rows[1].object.metadata.managedFields)
      assert.are.same(t.rows[1].cells, tout.rows[1].cells)
    end)

    it("copies items and rows fields that are not lists as they are", function()
      local o = { kind = "Thing", items = { a = { metadata = { managedFields = 1 } } }, rows = { b = 2 } }
      assert.are.same(o, render.clean(o))
      assert.are.same({ kind = "Table", rows = { x = 1 } }, render.clean({ kind = "Table", rows = { x = 1 } }))
    end)

    it("keeps everything with keep_managed", function()
      local d = deployment()
      local out = render.clean(d, { keep_managed = true })
      assert.are.same(d, out)
      assert.are_not.equal(d, out)
    end)
  end)

  describe("columns", function()
    it("pads every cell but a row's last to its column, as Go's tabwriter", function()
      assert.are.equal(lines("A        B     C", "aaaaaa   bb    c", "x        y"),
                       render.columns({ { "A", "B", "C" }, { "aaaaaa", "bb", "c" }, { "x", "y" } }))
    end)

    it("aligns a column only across consecutive rows that have it", function()
      -- kubectl describe's layout: a line without a value ends the block.
      local rows = { { "Name:", "x" }, { "Namespace:", "y" }, { "Containers:" }, { "  c:", "z" } }
      assert.are.equal(lines("Name:       x", "Namespace:  y", "Containers:", "  c:  z"),
                       render.columns(rows, { gap = 2, min_width = 0 }))
    end)

    it("counts code points, not bytes", function()
      assert.are.equal(lines("名前    X", "ab    Y"), render.columns({ { "名前", "X" }, { "ab", "Y" } }))
      assert.are.equal(lines("名前前前  X", "ab    Y"), render.columns({ { "名前前前", "X" }, { "ab", "Y" } }, { gap = 2 }))
    end)

    it("returns empty text for no rows", function()
      assert.are.equal("", render.columns({}))
    end)
  end)

  describe("table", function()
    it("prints priority-0 columns as kubectl get does", function()
      assert.are.equal(lines(
        "NAME                        READY   STATUS             RESTARTS      AGE",
        "api-4wnxgqcw94-wwpzc        0/1     CrashLoopBackOff   7 (29m ago)   3h22m",
        "payments-8vllfsh6pq-nmn8m   0/1     Pending            0             142m",
        "redis-0                     1/1     Running            0             12d",
        "worker-pxptb5pwd5-7nphk     1/1     Running            3 (47m ago)   5d"),
        render.table(json.decode(POD_TABLE)))
    end)

    it("adds the wide columns, NAMESPACE and LABELS on request", function()
      assert.are.equal(lines(
        "NAMESPACE   NAME                        READY   STATUS             RESTARTS      AGE     IP             NODE                    NOMINATED NODE   READINESS GATES   LABELS",
        "shop        api-4wnxgqcw94-wwpzc        0/1     CrashLoopBackOff   7 (29m ago)   3h22m   172.20.1.110   cn-hangzhou.10.0.1.11   <none>           <none>            app=api,pod-template-hash=4wnxgqcw94,tier=backend",
        "shop        payments-8vllfsh6pq-nmn8m   0/1     Pending            0             142m    <none>         <none>                  <none>           <none>            app=payments,pod-template-hash=8vllfsh6pq",
        "shop        redis-0                     1/1     Running            0             12d     172.20.1.115   cn-hangzhou.10.0.1.11   <none>           <none>            app=redis,statefulset.kubernetes.io/pod-name=redis-0",
        "shop        worker-pxptb5pwd5-7nphk     1/1     Running            3 (47m ago)   5d      172.20.1.113   cn-hangzhou.10.0.1.11   <none>           <none>            app=worker,pod-template-hash=pxptb5pwd5"),
        render.table(json.decode(POD_TABLE), { wide = true, namespace_column = true, show_labels = true }))
    end)

    it("omits the header with no_headers", function()
      local t = table_of({ { "Name" }, { "Age" } }, { { "a", "1d" }, { "bb", "2d" } })
      -- Columns are at least 6 wide, as kubectl's tabwriter makes them.
      assert.are.equal(lines("a     1d", "bb    2d"), render.table(t, { no_headers = true }))
    end)

    it("says so when there are no rows", function()
      local t = json.decode(POD_TABLE)
      t.rows = json.array({})
      assert.are.equal("No resources found.", render.table(t))
      assert.are.equal("No resources found in shop namespace.",
                       render.table(t, { empty = "No resources found in shop namespace." }))
      t.rows = nil
      assert.are.equal("No resources found.", render.table(t))
    end)

    it("writes cells as kubectl: null empty, numbers and booleans as Go prints them", function()
      local t = table_of({ { "Name" }, { "Size", "integer" }, { "Ratio", "number" }, { "On", "boolean" }, { "Note" } }, {
        { "a", 3, 0.25, true, json.null },
        { "b", 1e15, 2.0, false, "ok" },
        { "c", json.null, 1 / 3, json.null, { 1, 2 } },
      })
      assert.are.equal(lines(
        "NAME   SIZE               RATIO                ON      NOTE",
        "a      3                  0.25                 true",
        "b      1000000000000000   2                    false   ok",
        "c                         0.3333333333333333           [1,2]"), render.table(t))
    end)

    it("cuts a cell at its first line break and escapes control characters", function()
      local t = table_of({ { "Name" }, { "Message" }, { "X" } }, {
        { "a", "first line\nsecond line", "tab\there" },
        { "b", "\27[31mred\27[0m", "x" },
      })
      assert.are.equal(lines(
        "NAME   MESSAGE          X",
        "a      first line...    tab here",
        "b      ^[[31mred^[[0m   x"), render.table(t))
    end)

    it("tolerates rows with missing or extra cells", function()
      local t = table_of({ { "Name" }, { "Status" } }, { { "a" }, { "b", "Running", "extra" }, {} })
      t.rows[4] = { cells = json.null }
      assert.are.equal(lines("NAME   STATUS", "a", "b      Running", "", ""), render.table(t))
    end)

    it("aligns non-ASCII cells by code points", function()
      local t = table_of({ { "Name" }, { "Status" } }, { { "café-ü", "Running" }, { "x", "ok" } })
      assert.are.equal(lines("NAME     STATUS", "café-ü   Running", "x        ok"), render.table(t))
    end)

    it("raises on something that is not a Table", function()
      assert.has_error(function() render.table({ kind = "PodList" }) end,
                       "bad argument #1 to 'table' (meta.k8s.io Table expected, got table)")
      assert.has_error(function() render.table(nil) end,
                       "bad argument #1 to 'table' (meta.k8s.io Table expected, got nil)")
    end)
  end)

  describe("budget", function()
    local function rows(n)
      local out = { "NAME    STATUS" }
      for i = 1, n do out[#out + 1] = string.format("pod-%03d Running", i) end
      return out
    end

    it("returns what fits unchanged", function()
      local text, info = render.budget("a\nb\n", 100)
      assert.are.equal("a\nb\n", text)
      assert.are.same({ truncated = false, shown = 2, omitted = 0, cut = false }, info)
      local t2, i2 = render.budget({ "h", "x" }, 3, { header = 1 })
      assert.are.equal("h\nx", t2)
      assert.are.same({ truncated = false, shown = 1, omitted = 0, cut = false }, i2)
      assert.are.same({ "", { truncated = false, shown = 0, omitted = 0, cut = false } }, { render.budget("", 10) })
    end)

    it("stops at a whole row, keeps the header, and says how to get the rest", function()
      local text, info = render.budget(rows(100), 300, { header = 1, next_hint = 'use continue="abc"' })
      assert.is_true(#text <= 300)
      assert.are.equal(lines("NAME    STATUS", "pod-001 Running", "pod-002 Running", "pod-003 Running",
        "pod-004 Running", "pod-005 Running", "pod-006 Running", "pod-007 Running", "pod-008 Running",
        "pod-009 Running", "pod-010 Running", "pod-011 Running", "pod-012 Running", "pod-013 Running",
        '[87 more rows not shown (output limit 300 bytes); use continue="abc"]'), text)
      assert.are.same({ truncated = true, shown = 13, omitted = 87, cut = false }, info)
    end)

    it("counts lines of plain text, singular for one", function()
      local a, b, c = string.rep("a", 40), string.rep("b", 40), string.rep("c", 40)
      local text, info = render.budget(lines(a, b, c) .. "\n", 100, { unit = "log lines" })
      assert.are.equal(lines(a, "[2 more log lines not shown (output limit 100 bytes)]"), text)
      assert.are.same({ truncated = true, shown = 1, omitted = 2, cut = false }, info)
      local t2, i2 = render.budget({ "short", string.rep("b", 100) }, 80)
      assert.are.equal(lines("short", "[1 more line not shown (output limit 80 bytes)]"), t2)
      assert.are.same({ truncated = true, shown = 1, omitted = 1, cut = false }, i2)
    end)

    it("cuts a single line longer than the budget at a UTF-8 boundary, marked", function()
      local long = string.rep("é", 100) -- 200 bytes
      local text, info = render.budget(long, 120)
      assert.is_true(#text <= 120)
      assert.is_truthy(utf8.len(text))
      local head = text:match("^(.-)%.%.%.\n")
      assert.is_truthy(head)
      assert.is_true(#head % 2 == 0 and #head > 0)
      assert.are.equal(string.format("[line cut: %d more bytes not shown (output limit 120 bytes)]", 200 - #head),
                       text:match("\n(.*)$"))
      assert.are.same({ truncated = true, shown = 1, omitted = 0, cut = true }, info)
    end)

    it("cuts the first row when even one row does not fit after the header", function()
      local text, info = render.budget({ "H", string.rep("x", 500), "y" }, 200, { header = 1 })
      assert.is_true(#text <= 200)
      assert.is_truthy(text:match("^H\nxxx+%.%.%.\n%[line cut: %d+ more bytes not shown; 1 more row not shown"))
      assert.are.same({ truncated = true, shown = 1, omitted = 1, cut = true }, info)
    end)

    it("cuts the header itself when the budget is smaller than it", function()
      local text, info = render.budget({ string.rep("H", 300), "row" }, 150, { header = 1 })
      assert.is_true(#text <= 150)
      assert.is_truthy(text:match("^H+%.%.%.\n%[line cut: %d+ more bytes not shown; 1 more row not shown"))
      assert.are.same({ truncated = true, shown = 0, omitted = 1, cut = true }, info)
    end)

    it("returns only the note, cut to fit, when the budget cannot hold more", function()
      local text, info = render.budget(rows(50), 40, { header = 1, next_hint = "narrow with label_selector" })
      assert.is_true(#text <= 40)
      assert.are.equal(("[50 more rows not shown (output limit 40 bytes); narrow with label_selector]"):sub(1, 40), text)
      assert.are.same({ truncated = true, shown = 0, omitted = 50, cut = false }, info)
    end)

    it("never exceeds the budget, for any size", function()
      local input = {}
      for i = 1, 60 do input[i] = string.rep("ж", i % 17) .. tostring(i) end
      for max = 1, 400, 7 do
        local text = render.budget(input, max, { header = 1, next_hint = "use continue" })
        assert.is_true(#text <= max, "max " .. max)
        assert.is_truthy(utf8.len(text), "valid UTF-8 at max " .. max)
      end
    end)

    it("uses settings.max_output_bytes, else 32768, when no budget is given", function()
      local big = string.rep("0123456789\n", 10000)
      local text = render.budget(big)
      assert.is_true(#text <= 32768 and #text > 32000)
      _G.settings = { max_output_bytes = 1000 }
      local ok, t2 = pcall(render.budget, big)
      _G.settings = nil
      assert.is_true(ok)
      assert.is_true(#t2 <= 1000 and #t2 > 900)
    end)

    it("raises on a bad budget or input", function()
      assert.has_error(function() render.budget("x", 0) end,
                       "bad argument #2 to 'budget' (positive number expected, got 0)")
      assert.has_error(function() render.budget(nil, 10) end,
                       "bad argument #1 to 'budget' (string or table expected, got nil)")
    end)
  end)

  describe("budget_json", function()
    it("keeps the items whose JSON fits and counts the rest", function()
      local items = {}
      for i = 1, 10 do items[i] = { name = "item-" .. i } end -- {"name":"item-1"} is 17 bytes
      local out, info = render.budget_json(items, 60, { encode = json.encode })
      assert.are.equal(3, #out)
      assert.is_true(#json.encode(out) <= 60)
      assert.is_true(json.is_array(out))
      assert.are.same({ truncated = true, shown = 3, omitted = 7 }, info)
      local all, i2 = render.budget_json(items, 10000)
      assert.are.equal(10, #all)
      assert.are.same({ truncated = false, shown = 10, omitted = 0 }, i2)
      local none, i3 = render.budget_json({}, 10)
      assert.are.equal("[]", json.encode(none))
      assert.are.same({ truncated = false, shown = 0, omitted = 0 }, i3)
    end)
  end)

  describe("kv and dump", function()
    it("aligns key: value pairs, in order or sorted", function()
      assert.are.equal(lines("Name:       web", "Namespace:  shop", "Replicas:   3", "Paused:"),
                       render.kv({ { "Name", "web" }, { "Namespace", "shop" }, { "Replicas", 3 }, { "Paused", json.null } }))
      assert.are.equal(lines("a:    1", "bbb:  true"), render.kv({ bbb = true, a = 1 }))
    end)

    it("dumps nested values as indented YAML-like text", function()
      local v = json.decode([=[{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"ports":[{"port":80,
        "protocol":"TCP"},{"port":443}],"args":["--v=2","-x"],"empty":{},"none":[],"nothing":null,"s":"",
        "script":"echo a\necho b\n","nested":[[1,2]]}]=])
      assert.are.equal(lines(
        "args:", "  - --v=2", "  - -x", "empty: {}", "nested:", "  -", "    - 1", "    - 2", "none: []",
        "nothing: null", "ports:", "  - port: 80", "    protocol: TCP", "  - port: 443", "replicas: 3",
        "s: \"\"", "script: |", "  echo a", "  echo b", "selector:", "  matchLabels:", "    app: web"),
        render.dump(v))
      assert.are.equal("{}", render.dump({}))
      assert.are.equal("[]", render.dump(json.array()))
      assert.are.equal("7", render.dump(7))
    end)
  end)
end)
