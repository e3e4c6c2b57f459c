local tooldef = require("tooldef")

-- A valid definition for tools/foo.lua; each case changes one thing.
local function def(changes)
  local d = {
    name = "foo",
    title = "Foo things",
    description = "Does foo to a thing.",
    toolset = "kubernetes",
    input = { type = "object", properties = {} },
    handler = function() return {} end,
  }
  for k, v in pairs(changes or {}) do d[k] = v end
  return d
end

local function without(key)
  local d = def()
  d[key] = nil
  return d
end

local function bad(d, msg)
  local ok, err = tooldef.check(d, "foo")
  assert.is_nil(ok)
  assert.are.equal(msg, err)
end

describe("tooldef", function()
  describe("check", function()
    it("accepts a minimal definition", function()
      assert.is_true(tooldef.check(def(), "foo"))
    end)

    it("accepts a prompt and gives it an input schema from its arguments", function()
      local d = { kind = "prompt", name = "foo", title = "Foo", description = "A prompt.",
                  arguments = { { name = "ns", description = "Namespace", required = true }, { name = "pod" } },
                  handler = function() return "hi" end }
      assert.is_true(tooldef.check(d, "foo"))
      tooldef.prepare(d)
      assert.are.same({ "ns" }, d.input.required)
      assert.are.equal("string", d.input.properties.pod.type)
      assert.are.equal("prompt", tooldef.kind(d))
    end)

    it("accepts a resource with a uri or a uri_template, not both", function()
      local d = { kind = "resource", name = "foo", title = "Foo", description = "A resource.",
                  uri = "test://static-text", mime_type = "text/plain", handler = function() return "x" end }
      assert.is_true(tooldef.check(d, "foo"))
      d.uri_template = "test://template/{id}/data"
      bad(d, 'tools/foo.lua: exactly one of "uri" and "uri_template" is required')
      d.uri = nil
      assert.is_true(tooldef.check(d, "foo"))
      d.uri_template = "no-scheme"
      bad(d, 'tools/foo.lua: uri "no-scheme" must start with a scheme (test://, k8s://)')
    end)

    it("rejects keys of another kind and unknown kinds", function()
      bad(def({ kind = "prompt", toolset = "core" }), 'tools/foo.lua: unknown key "input"')
      bad(def({ kind = "widget" }), 'tools/foo.lua: key "kind" must be "tool", "prompt" or "resource", got "widget"')
    end)

    it("names the real file when the host passes its path", function()
      local ok, err = tooldef.check(def({ hander = true }), "foo", "/etc/ack/tools.d/foo.lua")
      assert.is_nil(ok)
      assert.are.equal('/etc/ack/tools.d/foo.lua: unknown key "hander"', err)
    end)

    it("accepts a full definition like tools/k8s_get.lua", function()
      assert.is_true(tooldef.check({
        name = "k8s_get",
        title = "Get a Kubernetes object",
        description = "Fetch one object by kind and name. Secret values are redacted.",
        toolset = "kubernetes",
        annotations = { readOnlyHint = true, idempotentHint = true, openWorldHint = false,
                        destructiveHint = false, title = "Get" },
        input = {
          type = "object",
          properties = {
            kind = { type = "string", description = "Kind" },
            name = { type = "string", description = "Object name" },
          },
          required = { "kind", "name" },
          additionalProperties = false,
        },
        output = { type = "object", required = { "object" }, properties = { object = { type = "object" } } },
        handler = function() end,
        timeout = 30,
        meta = { anything = { 1, 2 } },
      }, "k8s_get"))
    end)

    it("rejects an unknown key, naming the file", function()
      bad(def({ hander = print }), 'tools/foo.lua: unknown key "hander"')
      bad(def({ [1] = "x" }), "tools/foo.lua: unknown key 1")
    end)

    it("reports a misspelt key before the missing key it explains", function()
      local d = without("handler")
      d.hander = print
      bad(d, 'tools/foo.lua: unknown key "hander"')
    end)

    it("requires the name to equal the file name", function()
      bad(def({ name = "bar" }), 'tools/foo.lua: name "bar" does not match file name "foo"')
    end)

    it("checks the name's characters and length", function()
      bad(def({ name = "foo bar" }), 'tools/foo.lua: key "name" must match ^[A-Za-z0-9_.-]{1,128}$, got "foo bar"')
      bad(def({ name = "" }), 'tools/foo.lua: key "name" must match ^[A-Za-z0-9_.-]{1,128}$, got ""')
      local long = string.rep("a", 129)
      local ok, err = tooldef.check(def({ name = long }), long)
      assert.is_nil(ok)
      assert.are.equal("tools/" .. long .. '.lua: key "name" must match ^[A-Za-z0-9_.-]{1,128}$, got "' .. long .. '"', err)
      local max = string.rep("a", 128)
      assert.is_true(tooldef.check(def({ name = max }), max))
      assert.is_true(tooldef.check(def({ name = "A-b_c.1" }), "A-b_c.1"))
    end)

    it("reports each missing required key", function()
      bad(without("name"), 'tools/foo.lua: missing required key "name"')
      bad(without("title"), 'tools/foo.lua: missing required key "title"')
      bad(without("description"), 'tools/foo.lua: missing required key "description"')
      bad(without("toolset"), 'tools/foo.lua: missing required key "toolset"')
      bad(without("input"), 'tools/foo.lua: missing required key "input"')
      bad(without("handler"), 'tools/foo.lua: missing required key "handler"')
    end)

    it("reports keys of the wrong type", function()
      bad(def({ name = 1 }), 'tools/foo.lua: key "name" must be a string, got number')
      bad(def({ title = true }), 'tools/foo.lua: key "title" must be a string, got boolean')
      bad(def({ handler = "run" }), 'tools/foo.lua: key "handler" must be a function, got string')
      bad(def({ input = true }), 'tools/foo.lua: key "input" must be a table, got boolean')
      bad(def({ annotations = "ro" }), 'tools/foo.lua: key "annotations" must be a table, got string')
      bad(def({ meta = 1 }), 'tools/foo.lua: key "meta" must be a table, got number')
      bad(def({ timeout = "30" }), 'tools/foo.lua: key "timeout" must be a number, got string')
    end)

    it("requires a non-empty description", function()
      bad(def({ description = "" }), 'tools/foo.lua: key "description" must not be empty')
      bad(def({ description = " \n" }), 'tools/foo.lua: key "description" must not be empty')
    end)

    it("checks the toolset's characters", function()
      assert.is_true(tooldef.check(def({ toolset = "ack_cs-2" }), "foo"))
      bad(def({ toolset = "Kube" }), 'tools/foo.lua: key "toolset" must match ^[a-z0-9_-]+$, got "Kube"')
      bad(def({ toolset = "" }), 'tools/foo.lua: key "toolset" must match ^[a-z0-9_-]+$, got ""')
    end)

    it("checks annotation keys and types", function()
      bad(def({ annotations = { readonlyHint = true } }), 'tools/foo.lua: unknown key "annotations.readonlyHint"')
      bad(def({ annotations = { readOnlyHint = "yes" } }),
          'tools/foo.lua: key "annotations.readOnlyHint" must be a boolean, got string')
      bad(def({ annotations = { title = false } }), 'tools/foo.lua: key "annotations.title" must be a string, got boolean')
      assert.is_true(tooldef.check(def({ annotations = {} }), "foo"))
    end)

    it("meta-checks the input schema, prefixed with input", function()
      bad(def({ input = { type = "object", properties = { tail = { type = "integer", minimun = 0 } } } }),
          'tools/foo.lua: input.properties.tail: unknown keyword "minimun"')
      bad(def({ input = { type = "object", properties = { n = { type = "integer", default = "x" } } } }),
          "tools/foo.lua: input.properties.n.default: expected integer, got string")
    end)

    it("requires input and output to be object schemas", function()
      bad(def({ input = { type = "string" } }), 'tools/foo.lua: input.type: must be "object", got "string"')
      bad(def({ input = { properties = {} } }), 'tools/foo.lua: input.type: must be "object", got none')
      bad(def({ output = { type = "array" } }), 'tools/foo.lua: output.type: must be "object", got "array"')
      bad(def({ output = { type = "object", required = "x" } }),
          "tools/foo.lua: output.required: must be an array of property names, got string")
    end)

    it("accepts timeouts in (0, 3600] seconds only", function()
      assert.is_true(tooldef.check(def({ timeout = 0.5 }), "foo"))
      assert.is_true(tooldef.check(def({ timeout = 3600 }), "foo"))
      bad(def({ timeout = 0 }), 'tools/foo.lua: key "timeout" must be > 0 and <= 3600 seconds, got 0')
      bad(def({ timeout = -1 }), 'tools/foo.lua: key "timeout" must be > 0 and <= 3600 seconds, got -1')
      bad(def({ timeout = 3601 }), 'tools/foo.lua: key "timeout" must be > 0 and <= 3600 seconds, got 3601')
      bad(def({ timeout = 0 / 0 }), 'tools/foo.lua: key "timeout" must be > 0 and <= 3600 seconds, got '
          .. tostring(0 / 0))
    end)

    it("checks fields in a fixed order", function()
      bad(def({ name = "bar", title = 1, handler = 2 }), 'tools/foo.lua: name "bar" does not match file name "foo"')
      bad(def({ title = 1, handler = 2 }), 'tools/foo.lua: key "title" must be a string, got number')
    end)
  end)

  describe("is_write and is_destructive", function()
    -- { annotations, is_write, is_destructive }
    local cases = {
      { nil, true, true },
      { {}, true, true },
      { { readOnlyHint = false }, true, true },
      { { readOnlyHint = true }, false, false },
      { { readOnlyHint = true, destructiveHint = true }, false, false },
      { { destructiveHint = false }, true, false },
      { { destructiveHint = true }, true, true },
      { { readOnlyHint = false, destructiveHint = false }, true, false },
    }
    for i, c in ipairs(cases) do
      it("treats annotation case " .. i .. " as write=" .. tostring(c[2]) .. " destructive=" .. tostring(c[3]),
         function()
        local d = def({ annotations = c[1] })
        assert.are.equal(c[2], tooldef.is_write(d))
        assert.are.equal(c[3], tooldef.is_destructive(d))
      end)
    end
  end)

  describe("failures", function()
    it("rejects a file that returns no table", function()
      bad(nil, "tools/foo.lua: must return a table, got nil")
      bad("foo", "tools/foo.lua: must return a table, got string")
    end)

    it("raises when the host passes no file name", function()
      assert.has_error(function() tooldef.check(def(), nil) end,
                       "bad argument #2 to 'check' (string expected, got nil)")
    end)

    it("loads in the host sandbox and still checks", function()
      local sandboxed = require("sandbox")("tooldef")
      assert.is_true(sandboxed.check(def(), "foo"))
      local ok, err = sandboxed.check(def({ hander = print }), "foo")
      assert.is_nil(ok)
      assert.are.equal('tools/foo.lua: unknown key "hander"', err)
    end)
  end)
end)
