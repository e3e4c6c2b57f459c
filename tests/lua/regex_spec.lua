local regex = require("regex")

local function matches(pattern, s)
  local re = assert(regex.compile(pattern))
  return regex.test(re, s)
end

local function rejected(pattern, msg)
  local re, err = regex.compile(pattern)
  assert.is_nil(re)
  assert.are.equal(msg, err)
end

describe("regex", function()
  describe("compile", function()
    it("rejects what it cannot match exactly, saying where", function()
      rejected("(?=a)", "lookaround assertions are not supported at offset 0")
      rejected("a(?<!b)", "lookaround assertions are not supported at offset 1")
      rejected("(a)\\1", "backreferences are not supported at offset 3")
      rejected("(?<n>a)\\k<n>", "named backreferences are not supported at offset 7")
      rejected("\\p{L}", "unicode property escapes are not supported at offset 0")
      rejected("\\Aabc\\z", "unknown escape \\A at offset 0")
      rejected("(?i)a", "unsupported group syntax (? at offset 0")
    end)

    it("rejects malformed patterns", function()
      rejected("*a", "nothing to repeat at offset 0")
      rejected("a**", "nothing to repeat at offset 2")
      rejected("^*", "nothing to repeat at offset 1")
      rejected("(a", "missing ) at offset 0")
      rejected("a)", "unmatched ) at offset 1")
      rejected("[a", "missing ] at offset 2")
      rejected("[z-a]", "range out of order in character class at offset 4")
      rejected("[\\d-z]", "class escape used as a range bound at offset 5")
      rejected("a{3,1}", "numbers out of order in {} quantifier at offset 6")
      rejected("\\x4", "bad hex escape at offset 3")
      rejected("a\\", "pattern ends with \\ at offset 2")
      rejected("\xff", "pattern is not valid UTF-8")
    end)

    it("refuses patterns that would build a huge automaton", function()
      rejected("^a{3000}b{3000}$", "pattern too large (over 5000 NFA states)")
    end)

    it("raises on a non-string pattern", function()
      assert.has_error(function() regex.compile(nil) end,
                       "bad argument #1 to 'compile' (string expected, got nil)")
    end)
  end)

  describe("test", function()
    -- { pattern, subject, expected }
    local cases = {
      { "b", "abc", true },
      { "^b", "abc", false },
      { "c$", "abc", true },
      { "^$", "", true },
      { "^$", "\n", false },
      { "^abc$", "abc\n", false },
      { "a.c", "a\nc", false },
      { "^.$", "é", true },
      { "^..$", "é", false },
      { "^[a-z0-9-]+$", "my-app-9", true },
      { "^[a-z0-9-]+$", "My-app", false },
      { "^[^/]+$", "a/b", false },
      { "^[-a]+$", "-a-", true },
      { "^[a-]+$", "-a-", true },
      { "^[\\]\\\\]+$", "]\\", true },
      { "^[.]$", "x", false },
      { "^[\\w.]+$", "a_b.c", true },
      { "^[\\D]+$", "ab", true },
      { "^[^\\d\\s]+$", "ab1", false },
      { "[]", "a", false },
      { "^[^]$", "\n", true },
      { "^\\d+$", "0123", true },
      { "^\\D+$", "ab1", false },
      { "^\\s$", "\u{3000}", true },
      { "^\\S+$", "a b", false },
      { "^\\w+$", "é", false },
      { "^\\W$", "é", true },
      { "\\bcat\\b", "a cat!", true },
      { "\\bcat\\b", "concat", false },
      { "\\Bcat", "concat", true },
      { "^(foo|bar)baz$", "barbaz", true },
      { "^(foo|bar)baz$", "foobar", false },
      { "^foo|bar$", "foox", true },
      { "^(|a)$", "", true },
      { "^(?:ab)+$", "ababab", true },
      { "^(?:ab)+$", "aba", false },
      { "^(?<word>ab)?c$", "c", true },
      { "^a?b?c?$", "ac", true },
      { "^a*$", "", true },
      { "^a{3}$", "aaa", true },
      { "^a{3}$", "aaaa", false },
      { "^a{2,}$", "a", false },
      { "^a{2,}$", "aaaaa", true },
      { "^a{0,2}$", "aaa", false },
      { "^(ab){1,2}$", "abab", true },
      { "^(ab){1,2}$", "ababab", false },
      { "^a{,2}$", "a{,2}", true },
      { "^a+?$", "aaa", true },
      { "^(a*)*$", "aaa", true },
      { "^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\-\\^\\$$", ".*+?()[]{}|/-^$", true },
      { "^\\t\\n\\r\\f\\v\\0$", "\t\n\r\f\v\0", true },
      { "^\\x41\\u0042\\u{43}$", "ABC", true },
      { "^\\ud83d\\ude00$", "😀", true },
      { "^\\cJ$", "\n", true },
      { "^[\\u4e00-\\u9fff]{2}$", "日本", true },
      { "^[😀-😂]$", "😁", true },
      { "^\\d{4}-\\d{2}-\\d{2}$", "2024-01-31", true },
    }
    for _, c in ipairs(cases) do
      it(string.format("%s on %q is %s", c[1], c[2], tostring(c[3])), function()
        assert.are.equal(c[3], matches(c[1], c[2]))
      end)
    end

    it("stays linear on patterns that make backtrackers explode", function()
      local evil = string.rep("a", 30000) .. "!"
      assert.is_false(matches("^(a+)+$", evil))
      assert.is_false(matches("^(a|a)*(a|aa)*$", evil))
      assert.is_true(matches("^(a|a)*(a|aa)*!$", evil))
    end)

    it("loads in the host sandbox", function()
      local sandboxed = require("sandbox")("regex")
      assert.is_true(sandboxed.test(assert(sandboxed.compile("^x+$")), "xx"))
    end)
  end)
end)
