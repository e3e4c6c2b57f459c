local value = require("value")

describe("value", function()
  it("tells null, objects and arrays apart", function()
    assert.is_true(value.is_null(nil))
    assert.is_true(value.is_null(json.null))
    assert.is_false(value.is_null(false))
    assert.is_false(value.is_table(json.null))
    assert.is_true(value.is_list(json.array()))
    assert.is_false(value.is_list({}))
    assert.is_true(value.is_list({ 1 }))
  end)

  it("reads fields without trusting their shape", function()
    local t = { a = 1 }
    assert.are.equal(t, value.tbl(t))
    assert.are.same({}, value.tbl(json.null))
    assert.are.same({}, value.tbl("x"))
    assert.are.same({}, value.list({ a = 1 }))
    assert.are.equal("x", value.str("x"))
    assert.is_nil(value.str(1))
  end)

  it("sorts keys of any type without raising", function()
    assert.are.same({ "a", "b" }, value.sorted_keys({ b = 1, a = 2 }))
    assert.are.same({ 1, "a" }, value.sorted_keys({ a = 1, [1] = 2 }))
  end)

  it("raises luaL_argerror's message for the caller's caller", function()
    local function age(s) if type(s) ~= "number" then value.bad_arg(1, "age", "number", s) end end
    assert.has_error(function() age("5") end, "bad argument #1 to 'age' (number expected, got string)")
  end)
end)
