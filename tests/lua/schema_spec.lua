local schema = require("schema")
local json = json

-- Every schema a behaviour case uses must first pass the meta-check.
local function accepts(s, value, path)
  assert(schema.check_schema(s, "input"))
  local ok, err = schema.validate(s, value, path)
  assert.is_nil(err)
  assert.is_true(ok)
  return value
end

local function rejects(s, value, msg, path)
  assert(schema.check_schema(s, "input"))
  local ok, err = schema.validate(s, value, path)
  assert.is_nil(ok)
  assert.are.equal(msg, err)
end

local function bad_schema(s, msg)
  local ok, err = schema.check_schema(s, "input")
  assert.is_nil(ok)
  assert.are.equal(msg, err)
end

local function obj(props, extra)
  local s = { type = "object", properties = props }
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

describe("schema", function()
  describe("check_schema", function()
    it("accepts a typical tool input schema", function()
      assert.is_true(schema.check_schema({
        type = "object",
        description = "Fetch one object",
        properties = {
          kind = { type = "string", description = "Kind", examples = { "Pod", "svc" } },
          name = { type = "string", minLength = 1, maxLength = 253,
                   pattern = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$" },
          namespace = { type = { "string", "null" }, default = "default" },
          tail = { type = "integer", minimum = 0, maximum = 10000, default = 100 },
          mode = { enum = { "json", "yaml" }, default = "json" },
          since = { type = "string", format = "date-time" },
          labels = { type = "object", additionalProperties = { type = "string" } },
          ports = { type = "array", items = { type = "integer", exclusiveMinimum = 0 },
                    minItems = 1, uniqueItems = true },
        },
        required = { "kind", "name" },
        additionalProperties = false,
      }, "input"))
    end)

    it("accepts boolean schemas and the empty schema", function()
      assert.is_true(schema.check_schema(true, "input"))
      assert.is_true(schema.check_schema(false, "input"))
      assert.is_true(schema.check_schema({}, "input"))
      assert.is_true(schema.check_schema({ type = "object", properties = { x = false } }, "input"))
    end)

    it("accepts annotation keywords and x- extensions", function()
      assert.is_true(schema.check_schema({
        ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
        ["$comment"] = "why", title = "T", description = "D", deprecated = false,
        readOnly = false, writeOnly = false, examples = { 1, 2 }, format = "no-such-format",
        ["x-ack-redact"] = { anything = true },
      }, "input"))
    end)

    it("accepts an empty required list written as {}", function()
      assert.is_true(schema.check_schema({ type = "object", properties = {}, required = {} }, "input"))
    end)

    it("names an unknown keyword and where it is", function()
      bad_schema(obj({ tail = { type = "integer", minimun = 0 } }),
                 'input.properties.tail: unknown keyword "minimun"')
    end)

    it("rejects a $ref that does not resolve inside the schema", function()
      bad_schema(obj({ pod = { ["$ref"] = "#/$defs/pod" } }),
                 'input.properties.pod.$ref: "#/$defs/pod" does not resolve to a definition in this schema (only local #/$defs/..., #/definitions/... and #anchor references)')
      bad_schema(obj({ pod = { ["$ref"] = "https://example.com/pod.json" } }),
                 'input.properties.pod.$ref: "https://example.com/pod.json" does not resolve to a definition in this schema (only local #/$defs/..., #/definitions/... and #anchor references)')
    end)

    it("follows local $ref to $defs, definitions and anchors", function()
      local s = { type = "object",
                  ["$defs"] = { addr = { ["$anchor"] = "addr", type = "object", properties = { city = { type = "string" } },
                                         required = { "city" } } },
                  definitions = { n = { type = "integer", minimum = 1 } },
                  properties = { home = { ["$ref"] = "#/$defs/addr" }, work = { ["$ref"] = "#addr" },
                                 count = { ["$ref"] = "#/definitions/n" } } }
      assert.is_true(schema.check_schema(s, "input"))
      assert.is_true(schema.validate(s, { home = { city = "Hangzhou" }, count = 2 }))
      local ok, err = schema.validate(s, { work = {} })
      assert.is_nil(ok)
      assert.are.equal('arguments.work: missing required property "city"', err)
      ok, err = schema.validate(s, { count = 0 })
      assert.are.equal("arguments.count: must be >= 1, got 0", err)
    end)

    it("stops a $ref cycle with a message", function()
      local s = { ["$defs"] = { a = { ["$ref"] = "#/$defs/b" }, b = { ["$ref"] = "#/$defs/a" } }, ["$ref"] = "#/$defs/a" }
      assert.is_true(schema.check_schema(s, "input"))
      local ok, err = schema.validate(s, 1)
      assert.is_nil(ok)
      assert.are.equal("arguments: $ref chain longer than 64 (a cycle?)", err)
    end)

    it("applies if/then/else", function()
      local s = { type = "object", properties = { kind = { type = "string" }, phone = { type = "string" }, email = { type = "string" } },
                  ["if"] = { properties = { kind = { const = "phone" } }, required = { "kind" } },
                  ["then"] = { required = { "phone" } }, ["else"] = { required = { "email" } } }
      assert.is_true(schema.check_schema(s, "input"))
      assert.is_true(schema.validate(s, { kind = "phone", phone = "1" }))
      assert.is_true(schema.validate(s, { email = "a@b" }))
      local ok, err = schema.validate(s, { kind = "phone" })
      assert.are.equal('arguments: missing required property "phone"', err)
      ok, err = schema.validate(s, {})
      assert.are.equal('arguments: missing required property "email"', err)
    end)

    it("rejects a schema that is not an object or boolean", function()
      bad_schema(obj({ name = "string" }),
                 "input.properties.name: schema must be an object or a boolean, got string")
      bad_schema(obj({ name = { "string" } }),
                 "input.properties.name: schema must be an object or a boolean, got array")
      bad_schema(nil, "input: schema must be an object or a boolean, got nil")
    end)

    it("rejects non-string keywords", function()
      bad_schema({ type = "string", [1] = "x" }, "input: keywords must be strings, got number key 1")
    end)

    it("uses \"schema\" as the default location", function()
      local ok, err = schema.check_schema({ typ = "string" })
      assert.is_nil(ok)
      assert.are.equal('schema: unknown keyword "typ"', err)
    end)

    it("rejects unknown and duplicate type names", function()
      bad_schema(obj({ n = { type = "int" } }), 'input.properties.n.type: unknown type "int"')
      bad_schema(obj({ n = { type = { "string", "float" } } }), 'input.properties.n.type[1]: unknown type "float"')
      bad_schema(obj({ n = { type = { "string", "string" } } }), 'input.properties.n.type[1]: duplicate type "string"')
      bad_schema(obj({ n = { type = 5 } }), "input.properties.n.type: must be a type name or a non-empty array of them")
    end)

    it("requires required to be a list of distinct strings", function()
      bad_schema(obj({}, { required = "name" }), "input.required: must be an array of property names, got string")
      bad_schema(obj({}, { required = { "a", 2 } }), "input.required[1]: must be a string, got integer")
      bad_schema(obj({}, { required = { "a", "a" } }), 'input.required[1]: duplicate property "a"')
    end)

    it("rejects a required name that additionalProperties false forbids", function()
      bad_schema(obj({ a = {} }, { required = { "a", "b" }, additionalProperties = false }),
                 'input.required[1]: "b" is not in properties and additionalProperties is false')
    end)

    it("requires properties to map names to schemas", function()
      bad_schema(obj({ { type = "string" } }), "input.properties: must be an object mapping names to schemas, got array")
      bad_schema(obj({ ["dry run"] = { type = "bool" } }), 'input.properties["dry run"].type: unknown type "bool"')
    end)

    it("checks nested schemas in items, additionalProperties, anyOf, oneOf, allOf and not", function()
      bad_schema({ type = "array", items = { type = "x" } }, 'input.items.type: unknown type "x"')
      bad_schema({ additionalProperties = { minLength = -1 } },
                 "input.additionalProperties.minLength: must be a non-negative integer, got integer")
      bad_schema({ anyOf = { { type = "string" }, "null" } }, "input.anyOf[1]: schema must be an object or a boolean, got string")
      bad_schema({ oneOf = {} }, "input.oneOf: must be a non-empty array, got object")
      bad_schema({ allOf = { {}, { foo = 1 } } }, 'input.allOf[1]: unknown keyword "foo"')
      bad_schema({ ["not"] = { type = "nope" } }, 'input.not.type: unknown type "nope"')
    end)

    it("rejects the tuple form of items", function()
      bad_schema({ items = { { type = "string" } } },
                 "input.items: must be one schema; the array (tuple) form is not supported")
    end)

    it("requires numeric keywords to be finite numbers", function()
      bad_schema(obj({ tail = { minimum = "0" } }), "input.properties.tail.minimum: must be a finite number, got string")
      bad_schema(obj({ tail = { maximum = math.huge } }), "input.properties.tail.maximum: must be a finite number, got number")
      bad_schema({ exclusiveMinimum = true }, "input.exclusiveMinimum: must be a number (2020-12 form), got boolean")
      bad_schema({ exclusiveMaximum = "1" }, "input.exclusiveMaximum: must be a finite number, got string")
      bad_schema({ multipleOf = 0 }, "input.multipleOf: must be a number > 0, got integer")
    end)

    it("requires counts to be non-negative integers", function()
      bad_schema({ minLength = 1.5 }, "input.minLength: must be a non-negative integer, got number")
      bad_schema({ maxItems = -1 }, "input.maxItems: must be a non-negative integer, got integer")
      bad_schema({ minProperties = "1" }, "input.minProperties: must be a non-negative integer, got string")
      assert.is_true(schema.check_schema({ maxLength = 3.0 }, "input"))
    end)

    it("rejects bounds that cannot both hold", function()
      bad_schema({ minLength = 5, maxLength = 3 }, "input: minLength 5 is greater than maxLength 3")
      bad_schema({ minimum = 1.5, maximum = 1 }, "input: minimum 1.5 is greater than maximum 1")
    end)

    it("rejects patterns outside the supported regex subset", function()
      bad_schema(obj({ name = { pattern = "(?=a)b" } }),
                 'input.properties.name.pattern: unsupported pattern "(?=a)b": lookaround assertions are not supported at offset 0')
      bad_schema({ pattern = "(a)\\1" }, 'input.pattern: unsupported pattern "(a)\\\\1": backreferences are not supported at offset 3')
      bad_schema({ pattern = "\\p{L}" }, 'input.pattern: unsupported pattern "\\\\p{L}": unicode property escapes are not supported at offset 0')
      bad_schema({ pattern = "[a-" }, 'input.pattern: unsupported pattern "[a-": missing ] at offset 3')
      bad_schema({ pattern = 5 }, "input.pattern: must be a string, got integer")
    end)

    it("requires enum to be a non-empty list of JSON values", function()
      bad_schema({ enum = {} }, "input.enum: must be a non-empty array, got object")
      bad_schema({ enum = "a" }, "input.enum: must be a non-empty array, got string")
      bad_schema({ enum = { "a", print } }, "input.enum[1]: function is not JSON data")
      bad_schema({ const = { 1, 0 / 0 } }, "input.const[1]: must be a finite number")
    end)

    it("rejects a default that does not satisfy its own schema", function()
      bad_schema(obj({ tail = { type = "integer", minimum = 0, default = -1 } }),
                 "input.properties.tail.default: must be >= 0, got -1")
      bad_schema(obj({ opts = obj({ n = { type = "integer", default = "3" } }) }),
                 "input.properties.opts.properties.n.default: expected integer, got string")
      bad_schema(obj({ mode = { enum = { "a", "b" }, default = "c" } }),
                 'input.properties.mode.default: must be one of "a", "b", got "c"')
    end)

    it("rejects a cyclic schema instead of recursing forever", function()
      local s = { type = "array" }
      s.items = s
      local ok, err = schema.check_schema(s, "input")
      assert.is_nil(ok)
      assert.matches(": schema nested deeper than 64 levels$", err)
    end)
  end)

  describe("validate types", function()
    it("accepts each JSON type it names", function()
      accepts({ type = "string" }, "x")
      accepts({ type = "number" }, 1.5)
      accepts({ type = "number" }, 2)
      accepts({ type = "integer" }, 2)
      accepts({ type = "boolean" }, false)
      accepts({ type = "null" }, json.null)
      accepts({ type = "array" }, json.array())
      accepts({ type = "array" }, { 1, 2 })
      accepts({ type = "object" }, {})
      accepts({ type = "object" }, json.decode('{"a":1}'))
    end)

    it("reports the expected and actual type at the path", function()
      rejects(obj({ replicas = { type = "integer" } }), { replicas = "3" },
              "arguments.replicas: expected integer, got string")
      rejects({ type = "string" }, json.null, "arguments: expected string, got null")
      rejects({ type = "object" }, json.array(), "arguments: expected object, got array")
      rejects({ type = "array" }, {}, "arguments: expected array, got object")
      rejects({ type = "boolean" }, 0, "arguments: expected boolean, got integer")
    end)

    it("treats a plain sequence as an array and anything else as an object", function()
      rejects({ type = "array" }, { 1, nil, 3 }, "arguments: expected array, got object")
      rejects({ type = "array" }, { 1, x = 2 }, "arguments: expected array, got object")
      rejects({ type = "object" }, { "a" }, "arguments: expected object, got array")
    end)

    it("accepts a type list and names all of it on failure", function()
      accepts({ type = { "string", "null" } }, json.null)
      accepts({ type = { "string", "null" } }, "x")
      rejects({ type = { "string", "null" } }, 1, "arguments: expected string or null, got integer")
    end)

    it("accepts 3.0 as an integer and hands it on as the integer 3", function()
      local args = accepts(obj({ replicas = { type = "integer" } }), json.decode('{"replicas": 3.0}'))
      assert.are.equal("integer", math.type(args.replicas))
      assert.are.equal("3", tostring(args.replicas))
    end)

    it("keeps floats under type number as they are", function()
      local args = accepts(obj({ ratio = { type = "number" } }), { ratio = 3.0 })
      assert.are.equal("float", math.type(args.ratio))
    end)

    it("rejects 3.5 and infinities as integers", function()
      rejects(obj({ replicas = { type = "integer" } }), { replicas = 3.5 },
              "arguments.replicas: expected integer, got number")
      rejects({ type = "integer" }, math.huge, "arguments: expected integer, got number")
    end)

    it("accepts huge integral numbers as integers", function()
      accepts({ type = "integer" }, math.maxinteger)
      accepts({ type = "integer" }, math.mininteger)
      local args = accepts(obj({ n = { type = "integer" } }), json.decode('{"n": 1e300}'))
      assert.are.equal(1e300, args.n)
      args = accepts(obj({ n = { type = "integer" } }), json.decode('{"n": 9223372036854775808}'))
      assert.are.equal("float", math.type(args.n))
    end)
  end)

  describe("validate enum and const", function()
    it("accepts a listed value and lists them all otherwise", function()
      accepts({ enum = { "a", "b" } }, "a")
      rejects(obj({ mode = { enum = { "a", "b" } } }), { mode = "c" },
              'arguments.mode: must be one of "a", "b", got "c"')
    end)

    it("compares numbers by value and tables by content", function()
      accepts({ enum = { 1, 2 } }, 1.0)
      accepts({ enum = { json.null, "x" } }, json.null)
      accepts({ enum = { { a = { 1, 2 } } } }, json.decode('{"a":[1,2]}'))
      rejects({ enum = { { a = 1 } } }, { a = 2 }, 'arguments: must be one of {"a":1}, got {"a":2}')
      rejects({ enum = { 1, true, json.null } }, "1", 'arguments: must be one of 1, true, null, got "1"')
    end)

    it("checks const", function()
      accepts({ const = "v1" }, "v1")
      accepts({ const = false }, false)
      rejects(obj({ api = { const = "v1" } }), { api = "v2" }, 'arguments.api: must equal "v1", got "v2"')
      rejects({ const = false }, json.null, "arguments: must equal false, got null")
    end)

    it("shortens long values in messages on a UTF-8 boundary", function()
      local long = string.rep("é", 100)
      local ok, err = schema.validate({ const = "x" }, long)
      assert.is_nil(ok)
      assert.are.equal('arguments: must equal "x", got "' .. string.rep("é", 38) .. '...', err)
      assert.is_not_nil(utf8.len(err))
    end)
  end)

  describe("validate numbers", function()
    it("checks minimum and maximum inclusively", function()
      local s = obj({ tail = { type = "integer", minimum = 0, maximum = 100 } })
      accepts(s, { tail = 0 })
      accepts(s, { tail = 100 })
      rejects(s, { tail = -1 }, "arguments.tail: must be >= 0, got -1")
      rejects(s, { tail = 101 }, "arguments.tail: must be <= 100, got 101")
    end)

    it("checks exclusiveMinimum and exclusiveMaximum as numbers", function()
      local s = { exclusiveMinimum = 0, exclusiveMaximum = 1 }
      accepts(s, 0.5)
      rejects(s, 0, "arguments: must be > 0, got 0")
      rejects(s, 1.0, "arguments: must be < 1, got 1")
    end)

    it("compares huge integers and floats exactly", function()
      local s = { maximum = math.maxinteger }
      accepts(s, math.maxinteger)
      rejects(s, 2.0 ^ 63, "arguments: must be <= 9223372036854775807, got 9.2233720368547758e+18")
      rejects({ minimum = -1e308 }, -math.huge, "arguments: must be >= -1e+308, got -inf")
    end)

    it("checks multipleOf for integers and decimals", function()
      accepts({ multipleOf = 5 }, 15)
      accepts({ multipleOf = 5 }, -10)
      rejects({ multipleOf = 5 }, 7, "arguments: must be a multiple of 5, got 7")
      accepts({ multipleOf = 0.1 }, 0.3)
      accepts({ multipleOf = 0.01 }, 19.99)
      rejects({ multipleOf = 0.1 }, 0.35, "arguments: must be a multiple of 0.1, got 0.35")
      accepts({ multipleOf = 2 }, 1e300)
    end)

    it("ignores number keywords for other types", function()
      accepts({ minimum = 5, multipleOf = 2 }, "three")
    end)
  end)

  describe("validate strings", function()
    it("counts length in code points, not bytes", function()
      local s = { minLength = 2, maxLength = 3 }
      accepts(s, "日本語")
      accepts(s, "é!")
      rejects(s, "日本語!", "arguments: length must be <= 3, got 4")
      rejects(s, "é", "arguments: length must be >= 2, got 1")
      accepts({ maxLength = 1 }, "😀")
    end)

    it("names the property whose length is wrong", function()
      rejects(obj({ name = { type = "string", maxLength = 63 } }), { name = string.rep("a", 70) },
              "arguments.name: length must be <= 63, got 70")
    end)

    it("rejects invalid UTF-8 when a string keyword applies", function()
      rejects({ maxLength = 10 }, "ab\xff", "arguments: is not valid UTF-8")
      rejects({ pattern = "a" }, "a\xed\xa0\x80", "arguments: is not valid UTF-8")
      accepts({ type = "string" }, "ab\xff")
    end)

    it("matches pattern anywhere unless anchored", function()
      accepts({ pattern = "b" }, "abc")
      accepts({ pattern = "^[a-z]+$" }, "abc")
      rejects(obj({ name = { pattern = "^[a-z]+$" } }), { name = "abC" },
              'arguments.name: does not match pattern "^[a-z]+$"')
      rejects({ pattern = "^a" }, "ba", 'arguments: does not match pattern "^a"')
    end)

    it("supports classes, escapes, groups, alternation and counted repeats", function()
      local dns = { pattern = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" }
      accepts(dns, "my-app-1")
      accepts(dns, "a")
      accepts(dns, string.rep("a", 63))
      rejects(dns, string.rep("a", 64), 'arguments: does not match pattern "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"')
      rejects(dns, "-app", 'arguments: does not match pattern "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"')
      accepts({ pattern = "^(json|yaml)$" }, "yaml")
      rejects({ pattern = "^(json|yaml)$" }, "xml", 'arguments: does not match pattern "^(json|yaml)$"')
      accepts({ pattern = "^\\d{1,3}(\\.\\d{1,3}){3}$" }, "10.0.0.1")
      rejects({ pattern = "^\\d+$" }, "12a", 'arguments: does not match pattern "^\\\\d+$"')
      accepts({ pattern = "^\\w+\\s\\S+$" }, "key value")
      accepts({ pattern = "^[^/]+/[^/]+$" }, "ns/name")
      accepts({ pattern = "^cn-[a-z]+(-\\d)?$" }, "cn-hangzhou")
      accepts({ pattern = "^.{2}$" }, "日本")
      accepts({ pattern = "^[\\u4e00-\\u9fff]+$" }, "日本語")
      accepts({ pattern = "^a+?b*c?$" }, "aab")
      accepts({ pattern = "x{" }, "x{")
    end)

    it("keeps the time to match linear on a hostile pattern", function()
      -- A backtracking matcher would take ages here.
      rejects({ pattern = "^(a+)+$" }, string.rep("a", 20000) .. "b", 'arguments: does not match pattern "^(a+)+$"')
    end)

    it("checks format date-time as RFC 3339", function()
      local s = obj({ since = { type = "string", format = "date-time" } })
      accepts(s, { since = "2024-02-29T12:00:00Z" })
      accepts(s, { since = "2024-02-29t23:59:60.123+08:00" })
      accepts(s, { since = "2024-01-01 00:00:00-05:30" })
      rejects(s, { since = "2023-02-29T00:00:00Z" },
              'arguments.since: must be an RFC 3339 date-time, got "2023-02-29T00:00:00Z"')
      rejects(s, { since = "2024-01-01T24:00:00Z" },
              'arguments.since: must be an RFC 3339 date-time, got "2024-01-01T24:00:00Z"')
      rejects(s, { since = "2024-01-01T00:00:00" },
              'arguments.since: must be an RFC 3339 date-time, got "2024-01-01T00:00:00"')
      rejects(s, { since = "2024-01-01" }, 'arguments.since: must be an RFC 3339 date-time, got "2024-01-01"')
    end)

    it("checks format date and ignores unknown formats", function()
      accepts({ format = "date" }, "2000-02-29")
      rejects({ format = "date" }, "1900-02-29", 'arguments: must be an RFC 3339 full-date, got "1900-02-29"')
      accepts({ format = "email" }, "not an email")
      accepts({ format = "date-time" }, 42)
    end)
  end)

  describe("validate arrays", function()
    it("names items by their 0-based JSON index", function()
      local s = obj({ containers = { type = "array", items = obj({ name = { type = "string" } }, { required = { "name" } }) } })
      rejects(s, json.decode('{"containers":[{"name":1}]}'), "arguments.containers[0].name: expected string, got integer")
      rejects(s, json.decode('{"containers":[{"name":"a"},{}]}'), 'arguments.containers[1]: missing required property "name"')
      rejects({ items = { type = "integer" } }, { 1, 2, "3" }, "arguments[2]: expected integer, got string")
    end)

    it("checks minItems and maxItems", function()
      local s = { type = "array", minItems = 1, maxItems = 2 }
      accepts(s, { "a" })
      rejects(s, json.array(), "arguments: item count must be >= 1, got 0")
      rejects(s, { 1, 2, 3 }, "arguments: item count must be <= 2, got 3")
    end)

    it("reports the second of two equal items under uniqueItems", function()
      local s = obj({ tags = { type = "array", uniqueItems = true } })
      accepts(s, json.decode('{"tags":["a","b",1,"1",{"a":1},{"a":2},[1],[1,2]]}'))
      rejects(s, json.decode('{"tags":["a","b","a"]}'), "arguments.tags[2]: duplicates item [0]")
      rejects(s, json.decode('{"tags":[1,2,1.0]}'), "arguments.tags[2]: duplicates item [0]")
      rejects(s, json.decode('{"tags":[{"a":[1]},{"a":[1]}]}'), "arguments.tags[1]: duplicates item [0]")
      rejects(s, json.decode('{"tags":[null,null]}'), "arguments.tags[1]: duplicates item [0]")
    end)

    it("hands on integer-valued float items as integers", function()
      local args = accepts(obj({ ports = { items = { type = "integer" } } }), json.decode('{"ports":[80.0,443]}'))
      assert.are.equal("integer", math.type(args.ports[1]))
    end)
  end)

  describe("validate objects", function()
    it("reports a missing required property", function()
      rejects(obj({ name = { type = "string" } }, { required = { "name" } }), {},
              'arguments: missing required property "name"')
    end)

    it("checks required in the order listed", function()
      rejects(obj({}, { required = { "b", "a" } }), {}, 'arguments: missing required property "b"')
    end)

    it("checks properties in sorted order", function()
      local s = obj({ b = { type = "string" }, a = { type = "string" } })
      rejects(s, { a = 1, b = 2 }, "arguments.a: expected string, got integer")
    end)

    it("rejects unknown properties when additionalProperties is false", function()
      local s = obj({ name = { type = "string" } }, { additionalProperties = false })
      accepts(s, { name = "x" })
      rejects(s, { name = "x", foo = 1 }, 'arguments: unknown property "foo"')
      rejects(s, { zeta = 1, alpha = 2 }, 'arguments: unknown property "alpha"')
    end)

    it("validates other properties against additionalProperties", function()
      local s = { type = "object", additionalProperties = { type = "string" } }
      accepts(s, { app = "web" })
      rejects(s, { app = "web", tier = 2 }, "arguments.tier: expected string, got integer")
    end)

    it("quotes property names that are not identifiers", function()
      rejects(obj({ ["dry run"] = { type = "boolean" } }), { ["dry run"] = "yes" },
              'arguments["dry run"]: expected boolean, got string')
      rejects(obj({ ["app.kubernetes.io/name"] = { type = "string" } }), { ["app.kubernetes.io/name"] = 1 },
              'arguments["app.kubernetes.io/name"]: expected string, got integer')
    end)

    it("checks minProperties and maxProperties", function()
      local s = { type = "object", minProperties = 1, maxProperties = 1 }
      accepts(s, { a = 1 })
      rejects(s, {}, "arguments: property count must be >= 1, got 0")
      rejects(s, { a = 1, b = 2 }, "arguments: property count must be <= 1, got 2")
    end)

    it("ignores object keywords for other types", function()
      accepts({ required = { "a" }, properties = { a = false } }, "string")
    end)
  end)

  describe("validate defaults", function()
    it("fills an absent property with its default", function()
      local args = accepts(obj({ tail = { type = "integer", default = 100 }, name = {} }), { name = "x" })
      assert.are.equal(100, args.tail)
    end)

    it("keeps a value the caller gave, even false or null", function()
      local s = obj({ follow = { type = "boolean", default = true },
                      ns = { type = { "string", "null" }, default = "default" } })
      local args = accepts(s, { follow = false, ns = json.null })
      assert.is_false(args.follow)
      assert.are.equal(json.null, args.ns)
    end)

    it("satisfies required with a default", function()
      accepts(obj({ mode = { default = "json" } }, { required = { "mode" } }), {})
    end)

    it("deep-copies table defaults so calls never share them", function()
      local s = obj({ labels = { type = "object", default = { app = "web" } },
                      ids = { type = "array", default = json.array() } })
      local a = accepts(s, {})
      local b = accepts(s, {})
      assert.are.same({ app = "web" }, a.labels)
      assert.are_not.equal(a.labels, b.labels)
      assert.are_not.equal(s.properties.labels.default, a.labels)
      a.labels.app = "db"
      assert.are.equal("web", b.labels.app)
      assert.are.equal("web", s.properties.labels.default.app)
      assert.are.equal("[]", json.encode(a.ids))
    end)

    it("fills defaults inside nested objects, given or defaulted", function()
      local s = obj({ opts = obj({ limit = { type = "integer", default = 10 },
                                   deep = obj({ on = { default = true } }, { default = {} }) },
                                 { default = {} }) })
      local given = accepts(s, { opts = { limit = 5 } })
      assert.are.same({ limit = 5, deep = { on = true } }, given.opts)
      local absent = accepts(s, {})
      assert.are.same({ limit = 10, deep = { on = true } }, absent.opts)
    end)

    it("fills defaults in array items that are objects", function()
      local s = obj({ c = { type = "array", items = obj({ pull = { default = "IfNotPresent" } }) } })
      local args = accepts(s, json.decode('{"c":[{},{"pull":"Always"}]}'))
      assert.are.equal("IfNotPresent", args.c[1].pull)
      assert.are.equal("Always", args.c[2].pull)
    end)

    it("fills defaults of the matching anyOf branch only", function()
      local s = { anyOf = { obj({ kind = { const = "a" }, x = { default = 1 } }, { required = { "kind" } }),
                            obj({ kind = { const = "b" }, y = { default = 2 } }, { required = { "kind" } }) } }
      local args = accepts(s, { kind = "b" })
      assert.are.same({ kind = "b", y = 2 }, args)
    end)
  end)

  describe("validate combinators", function()
    it("accepts anyOf when a branch matches and says why each failed otherwise", function()
      local s = obj({ port = { anyOf = { { type = "integer" }, { type = "string", pattern = "^\\d+$" } } } })
      accepts(s, { port = 80 })
      accepts(s, { port = "80" })
      rejects(s, { port = "http" },
              'arguments.port: must match at least one schema in anyOf ([0] expected integer, got string; [1] does not match pattern "^\\\\d+$")')
    end)

    it("shows nested branch errors relative to the value", function()
      local s = { anyOf = { obj({ a = { type = "string" } }, { required = { "a" } }), { type = "null" } } }
      rejects(s, { a = 1 },
              "arguments: must match at least one schema in anyOf ([0] .a: expected string, got integer; [1] expected null, got object)")
    end)

    it("requires oneOf to match exactly one branch", function()
      local s = { oneOf = { { type = "integer" }, { minimum = 10 } } }
      accepts(s, 5)
      accepts(s, 10.5)
      rejects(s, 12, "arguments: must match exactly one schema in oneOf, matched [0] and [1]")
      rejects(s, 5.5, "arguments: must match exactly one schema in oneOf ([0] expected integer, got number; [1] must be >= 10, got 5.5)")
    end)

    it("reports the first failing allOf schema", function()
      local s = { allOf = { { type = "string" }, { minLength = 2 }, { maxLength = 1 } } }
      rejects(s, "ab", "arguments: length must be <= 1, got 2")
    end)

    it("rejects a value that matches not", function()
      local s = obj({ ns = { type = "string", ["not"] = { enum = { "kube-system" } } } })
      accepts(s, { ns = "default" })
      rejects(s, { ns = "kube-system" }, "arguments.ns: must not match the schema in not")
    end)

    it("accepts anything under true and nothing under false", function()
      accepts(true, json.null)
      rejects(false, 1, "arguments: no value is allowed here")
      rejects(obj({ old = false }), { old = 1 }, "arguments.old: no value is allowed here")
      rejects({ items = false }, { 1 }, "arguments[0]: no value is allowed here")
    end)
  end)

  describe("validate paths", function()
    it("starts messages at the given path", function()
      rejects(obj({ n = { type = "integer" } }), { n = "x" }, "output.n: expected integer, got string", "output")
    end)

    it("reports the first error only, the same one every time", function()
      local s = obj({ a = { type = "string" }, b = { type = "string" }, c = { type = "string" }, z = {} },
                    { required = { "z" }, additionalProperties = false })
      for _ = 1, 5 do
        rejects(s, { c = 1, b = 1, a = 1, y = 1 }, 'arguments: missing required property "z"')
        rejects(s, { c = 1, b = 1, a = 1, z = 1 }, "arguments.a: expected string, got integer")
      end
    end)
  end)

  describe("to_json", function()
    it("marks lists JSON needs as arrays and keeps empty properties an object", function()
      local s = { type = "object", properties = {}, required = {} }
      assert.are.equal('{"properties":{},"required":[],"type":"object"}', json.encode(schema.to_json(s)))
    end)

    it("converts nested schemas and list keywords", function()
      local s = {
        type = { "object", "null" },
        properties = { mode = { enum = { "a" }, examples = {} }, x = { anyOf = { {}, { required = {} } } } },
        items = { ["not"] = { required = {} } },
        additionalProperties = { properties = {} },
        ["x-note"] = { 1, 2 },
      }
      local out = schema.to_json(s)
      assert.is_true(json.is_array(out.type))
      assert.is_true(json.is_array(out.properties.mode.enum))
      assert.is_true(json.is_array(out.properties.mode.examples))
      assert.is_true(json.is_array(out.properties.x.anyOf))
      assert.is_true(json.is_array(out.properties.x.anyOf[2].required))
      assert.is_true(json.is_array(out.items["not"].required))
      assert.is_false(json.is_array(out.additionalProperties.properties))
      assert.are.equal('{"additionalProperties":{"properties":{}},"items":{"not":{"required":[]}},'
        .. '"properties":{"mode":{"enum":["a"],"examples":[]},"x":{"anyOf":[{},{"required":[]}]}},'
        .. '"type":["object","null"],"x-note":[1,2]}', json.encode(out))
    end)

    it("returns a copy and leaves the schema untouched", function()
      local default = { "a" }
      local s = { type = "object", required = {}, properties = { p = { default = default } } }
      local out = schema.to_json(s)
      assert.is_nil(getmetatable(s.required))
      assert.are_not.equal(s.properties, out.properties)
      assert.are_not.equal(default, out.properties.p.default)
      assert.are.same({ "a" }, out.properties.p.default)
      assert.are.same({ type = "object", required = {}, properties = { p = { default = { "a" } } } }, s)
    end)

    it("passes boolean schemas through", function()
      assert.is_true(schema.to_json(true))
      assert.is_false(schema.to_json({ items = false }).items)
    end)
  end)

  describe("failures", function()
    it("raises when validate is given no schema", function()
      assert.has_error(function() schema.validate(nil, {}) end,
                       "bad argument #1 to 'validate' (schema expected, got nil)")
    end)

    it("reports a pattern that skipped check_schema instead of mis-validating", function()
      local ok, err = schema.validate({ pattern = "(?!x)" }, "y")
      assert.is_nil(ok)
      assert.are.equal('arguments: schema pattern "(?!x)" is invalid: lookaround assertions are not supported at offset 0', err)
    end)

    it("loads in the host sandbox without os, io, debug or load, creating no globals", function()
      local sandboxed = require("sandbox")("schema")
      local s = obj({ name = { type = "string", pattern = "^[a-z]+$", maxLength = 5 },
                      at = { format = "date-time" }, n = { type = "integer", multipleOf = 2, default = 4 },
                      l = { type = "array", items = { enum = { 1, 2 } }, uniqueItems = true } },
                    { required = { "name" }, additionalProperties = false })
      assert.is_true(sandboxed.check_schema(s, "input"))
      local args = { name = "abc", at = "2024-01-01T00:00:00Z", l = { 1, 2 } }
      assert.is_true(sandboxed.validate(s, args))
      assert.are.equal(4, args.n)
      local ok, err = sandboxed.validate(s, { name = "ABC" })
      assert.is_nil(ok)
      assert.are.equal('arguments.name: does not match pattern "^[a-z]+$"', err)
      assert.is_table(sandboxed.to_json(s))
    end)

    it("runs under Lua 5.4", function()
      assert.are.equal("Lua 5.4", _VERSION)
    end)
  end)
end)
