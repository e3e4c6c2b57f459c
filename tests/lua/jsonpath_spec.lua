-- jsonpath_spec.lua: kubectl's JSONPath templates (lua/jsonpath.lua), checked against what
-- `kubectl -o jsonpath=...` prints for the same objects.
local sandboxed = require("sandbox")
local jsonpath = sandboxed("jsonpath")

local LIST = json.decode([[{
  "kind": "List", "apiVersion": "v1",
  "items": [
    {"metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web", "tier": "frontend"}},
     "spec": {"replicas": 3, "containers": [{"name": "nginx", "image": "nginx:1.25"}, {"name": "sidecar", "image": "envoy"}]},
     "status": {"phase": "Running", "ratio": 0.5, "ready": true,
                "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]}},
    {"metadata": {"name": "api-1", "namespace": "shop", "labels": {"app": "api"}},
     "spec": {"replicas": 1, "containers": [{"name": "api", "image": "api:2"}]},
     "status": {"phase": "Pending", "ready": false,
                "conditions": [{"type": "Ready", "status": "False"}]}},
    {"metadata": {"name": "db-0", "namespace": "data"},
     "spec": {"replicas": 2, "containers": []},
     "status": {"phase": "Running", "conditions": []}}
  ]
}]])

local function run(template, data)
  local prog, err = jsonpath.compile(template)
  assert(prog, err)
  return jsonpath.execute(prog, data or LIST)
end

local function compile_error(template)
  local prog, err = jsonpath.compile(template)
  assert.is_nil(prog)
  return err
end

describe("jsonpath", function()
  describe("fields and arrays", function()
    it("prints a field", function()
      assert.are.equal("List", run("{.kind}"))
    end)

    it("joins several results with a space", function()
      assert.are.equal("web-1 api-1 db-0", run("{.items[*].metadata.name}"))
    end)

    it("indexes from the start and from the end", function()
      assert.are.equal("web-1", run("{.items[0].metadata.name}"))
      assert.are.equal("db-0", run("{.items[-1].metadata.name}"))
    end)

    it("slices with start, stop and step", function()
      assert.are.equal("web-1 api-1", run("{.items[0:2].metadata.name}"))
      assert.are.equal("api-1 db-0", run("{.items[1:].metadata.name}"))
      assert.are.equal("web-1 db-0", run("{.items[::2].metadata.name}"))
      assert.are.equal("db-0", run("{.items[-1:].metadata.name}"))
    end)

    it("takes unions of indexes", function()
      assert.are.equal("web-1 db-0", run("{.items[0,2].metadata.name}"))
    end)

    it("reads keys in brackets and escaped dots", function()
      assert.are.equal("web", run("{.items[0]['metadata']['labels']['app']}"))
      local obj = json.decode('{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-01-01"}}}')
      assert.are.equal("2024-01-01", run("{.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}", obj))
    end)

    it("prints maps and lists as compact JSON with sorted keys", function()
      assert.are.equal('{"app":"web","tier":"frontend"}', run("{.items[0].metadata.labels}"))
      assert.are.equal('[{"image":"api:2","name":"api"}]', run("{.items[1].spec.containers}"))
    end)

    it("prints numbers and booleans as Go does", function()
      assert.are.equal("3 1 2", run("{.items[*].spec.replicas}"))
      assert.are.equal("0.5", run("{.items[0].status.ratio}"))
      assert.are.equal("true false", run("{.items[*].status.ready}"))
    end)

    it("prints nothing for a missing key, as kubectl does by default", function()
      assert.are.equal("", run("{.items[0].metadata.missing}"))
      assert.are.equal("<>", run("<{.nope.deeper}>"))
    end)

    it("walks every value with * and every level with ..", function()
      assert.are.equal("web frontend", run("{.items[0].metadata.labels.*}"))
      assert.are.equal("web-1 nginx sidecar", run("{.items[0]..name}"))
    end)

    it("treats $ and @ as the current object", function()
      assert.are.equal("List", run("{$.kind}"))
      assert.are.equal("List", run("{@.kind}"))
    end)
  end)

  describe("filters", function()
    it("keeps array items whose field equals a string", function()
      assert.are.equal("True False", run('{.items[*].status.conditions[?(@.type=="Ready")].status}'))
    end)

    it("compares with != < > <= >=", function()
      assert.are.equal("web-1 db-0", run("{.items[?(@.spec.replicas>1)].metadata.name}"))
      assert.are.equal("api-1", run("{.items[?(@.spec.replicas<2)].metadata.name}"))
      assert.are.equal("web-1 db-0", run("{.items[?(@.spec.replicas>=2)].metadata.name}"))
      assert.are.equal("api-1 db-0", run("{.items[?(@.spec.replicas<=2)].metadata.name}"))
      assert.are.equal("api-1", run('{.items[?(@.status.phase!="Running")].metadata.name}'))
    end)

    it("accepts single-quoted values and booleans", function()
      assert.are.equal("web-1", run("{.items[?(@.metadata.labels.app=='web')].metadata.name}"))
      assert.are.equal("web-1", run("{.items[?(@.status.ready==true)].metadata.name}"))
    end)

    it("keeps items where a field exists", function()
      assert.are.equal("web-1 api-1", run("{.items[?(@.metadata.labels)].metadata.name}"))
    end)

    it("skips items that lack the compared field", function()
      assert.are.equal("web-1", run('{.items[?(@.metadata.labels.tier=="frontend")].metadata.name}'))
    end)
  end)

  describe("range and text", function()
    it("loops with range ... end and quoted text with escapes", function()
      assert.are.equal("web-1\tRunning\napi-1\tPending\ndb-0\tRunning\n",
        run('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'))
    end)

    it("nests ranges", function()
      assert.are.equal("web-1:nginx,sidecar,;api-1:api,;db-0:;",
        run('{range .items[*]}{.metadata.name}:{range .spec.containers[*]}{.name},{end};{end}'))
    end)

    it("keeps text outside actions", function()
      assert.are.equal("names: web-1 api-1 db-0!", run("names: {.items[*].metadata.name}!"))
    end)

    it("prints a template with no actions as it is", function()
      assert.are.equal("plain", run("plain"))
    end)
  end)

  describe("jsonpath-as-json and find", function()
    it("collects every result into one indented array", function()
      local prog = jsonpath.compile("{.items[*].metadata.name}")
      assert.are.equal('[\n    "web-1",\n    "api-1",\n    "db-0"\n]\n', jsonpath.execute_json(prog, LIST))
    end)

    it("returns the values a template finds", function()
      local prog = jsonpath.compile("{.items[*].spec.replicas}")
      assert.are.same({ 3, 1, 2 }, jsonpath.find(prog, LIST))
    end)
  end)

  describe("relaxed paths (custom-columns, --sort-by)", function()
    it("accepts a.b, .a.b, {a.b} and {.a.b}", function()
      for _, p in ipairs({ "metadata.name", ".metadata.name", "{metadata.name}", "{.metadata.name}" }) do
        assert.are.equal("{.metadata.name}", jsonpath.relaxed(p))
      end
    end)

    it("refuses nested braces", function()
      local v, err = jsonpath.relaxed("{.a}{.b}")
      assert.is_nil(v)
      assert.matches("unexpected path string", err)
    end)
  end)

  describe("Go formatting", function()
    it("encodes JSON as encoding/json does", function()
      local v = json.decode('{"b":[1,2.5,"x<y&z>"],"a":{"n":null,"t":true}}')
      assert.are.equal('{"a":{"n":null,"t":true},"b":[1,2.5,"x\\u003cy\\u0026z\\u003e"]}', jsonpath.go_json(v))
      assert.are.equal('{\n    "a": 1\n}', jsonpath.go_json({ a = 1 }, "    "))
      assert.are.equal("[]", jsonpath.go_json(json.array()))
    end)

    it("prints maps the way fmt.Print does", function()
      assert.are.equal("map[app:web tier:frontend]", jsonpath.go_print({ tier = "frontend", app = "web" }))
      assert.are.equal("[a b]", jsonpath.go_print(json.array({ "a", "b" })))
    end)
  end)

  describe("errors", function()
    it("reports an unclosed action", function()
      assert.are.equal("unclosed action", compile_error("{.items"))
    end)

    it("reports an end outside a range", function()
      assert.are.equal("not in range, nothing to end", compile_error("{.a}{end}"))
    end)

    it("reports unterminated arrays, filters and strings", function()
      assert.are.equal("unterminated array", compile_error("{.items[0}"))
      assert.are.equal("unterminated filter", compile_error('{.items[?(@.a=="x"}'))
      assert.are.equal("unterminated quoted string", compile_error('{"abc}'))
    end)

    it("reports a bad index and an unknown character", function()
      assert.are.equal("invalid array index x", compile_error("{.items[x]}"))
      assert.matches("unrecognized character in action: U%+0028", compile_error("{(}"))
    end)

    it("reports an unknown identifier", function()
      assert.are.equal("unrecognized identifier foo", compile_error("{foo}"))
    end)

    it("reports an index out of range at run time", function()
      local prog = jsonpath.compile("{.items[7]}")
      local out, err = jsonpath.execute(prog, LIST)
      assert.is_nil(out)
      assert.are.equal("array index out of bounds: index 7, length 3", err)
    end)

    it("reports indexing something that is not a list", function()
      local prog = jsonpath.compile("{.kind[0]}")
      local out, err = jsonpath.execute(prog, LIST)
      assert.is_nil(out)
      assert.matches("is not array or slice", err)
    end)

    it("never raises on hostile templates", function()
      for _, t in ipairs({ "{", "}", "{{}}", "{[", "{[?(", "{..}", "{....a}", "{range}", "{.a[1:2:0]}",
                           "{'\\q'}", "{\"\\u12\"}", string.rep("{range .a}", 50) }) do
        local ok, prog = pcall(jsonpath.compile, t)
        assert.is_true(ok, t)
        if prog then
          local ok2 = pcall(jsonpath.execute, prog, LIST)
          assert.is_true(ok2, t)
        end
      end
    end)
  end)
end)
