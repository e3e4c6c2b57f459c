-- regex.lua: the ECMA-262 regular expressions JSON Schema "pattern" uses.
--
-- Lua patterns cannot express alternation, groups or counted repeats, so a
-- translation would mis-validate; instead patterns compile to an NFA that is
-- simulated breadth-first (Thompson/Pike). A match costs O(#program * #subject)
-- with no backtracking, so no argument can make a pattern run away.
--
-- Supported (code points over UTF-8, as with ECMA's "u" flag; no flags i/m/s):
--   literals, ".", [...] and [^...] with ranges, \d \D \w \W \s \S,
--   \t \n \r \f \v \0 \xHH \uHHHH \u{H..} \cX, escaped punctuation (\. \- \/ ...),
--   ^ $ \b \B, groups (...) (?:...) (?<name>...), alternation |,
--   quantifiers * + ? {n} {n,} {n,m}, greedy or lazy (same answer for a yes/no match).
-- Rejected by compile() with a reason: backreferences, lookahead/lookbehind,
-- \p{...}, unknown letter escapes (\A \z ... mean other things elsewhere),
-- and programs over MAX_PROG instructions (large {n,m} counts).
-- Like JSON Schema, a pattern matches anywhere unless anchored with ^ and $.

local M = {}

local MAX_PROG = 5000

local CHAR, SET, ASSERT, SPLIT, JMP, MATCH = 1, 2, 3, 4, 5, 6

local function byte(c) return string.byte(c) end

local function in_ranges(r, c)
  for i = 1, #r, 2 do
    if c >= r[i] and c <= r[i + 1] then return true end
  end
  return false
end

local function ranges_set(r, neg)
  return function(c) return in_ranges(r, c) ~= neg end
end

local DIGIT = { 48, 57 }
local WORD = { 48, 57, 65, 90, 95, 95, 97, 122 }
-- ECMA WhiteSpace and LineTerminator code points.
local SPACE = { 9, 13, 32, 32, 160, 160, 5760, 5760, 8192, 8202, 8232, 8233,
                8239, 8239, 8287, 8287, 12288, 12288, 65279, 65279 }
local NOT_NEWLINE = ranges_set({ 10, 10, 13, 13, 8232, 8233 }, true)

local CLASS_ESCAPES = {
  d = ranges_set(DIGIT, false), D = ranges_set(DIGIT, true),
  w = ranges_set(WORD, false),  W = ranges_set(WORD, true),
  s = ranges_set(SPACE, false), S = ranges_set(SPACE, true),
}

local CONTROL_ESCAPES = { t = 9, n = 10, v = 11, f = 12, r = 13 }

local function is_word(c) return c ~= nil and in_ranges(WORD, c) end

-- Parser state: p.cps holds the pattern's code points, p.i the next index.
-- at: 1-based index the offending construct starts at (default: the current one).
local function fail(p, msg, at)
  error({ regex_error = string.format("%s at offset %d", msg, (at or p.i) - 1) }, 0)
end

local function peek(p, k) return p.cps[p.i + (k or 0)] end

local function eat(p, ch)
  if p.cps[p.i] == byte(ch) then p.i = p.i + 1; return true end
  return false
end

local function is_hex(c)
  return c and ((c >= 48 and c <= 57) or (c >= 65 and c <= 70) or (c >= 97 and c <= 102))
end

local function read_hex(p, n)
  local v = 0
  for _ = 1, n do
    local c = peek(p)
    if not is_hex(c) then fail(p, "bad hex escape") end
    v = v * 16 + tonumber(utf8.char(c), 16)
    p.i = p.i + 1
  end
  return v
end

local function read_unicode(p)
  if eat(p, "{") then
    local v, n = 0, 0
    while is_hex(peek(p)) do
      v = v * 16 + tonumber(utf8.char(peek(p)), 16)
      n = n + 1
      p.i = p.i + 1
      if v > 0x10FFFF then fail(p, "code point out of range") end
    end
    if n == 0 or not eat(p, "}") then fail(p, "bad \\u{...} escape") end
    return v
  end
  local v = read_hex(p, 4)
  -- A surrogate pair written as two escapes is one code point.
  if v >= 0xD800 and v <= 0xDBFF and peek(p) == 92 and peek(p, 1) == byte("u")
      and is_hex(peek(p, 2)) then
    local save = p.i
    p.i = p.i + 2
    local lo = read_hex(p, 4)
    if lo >= 0xDC00 and lo <= 0xDFFF then
      return 0x10000 + (v - 0xD800) * 0x400 + (lo - 0xDC00)
    end
    p.i = save
  end
  return v
end

-- After a backslash. Returns a code point, or nil plus a set function.
local function parse_escape(p, in_class)
  local at = p.i - 1
  local c = peek(p)
  if c == nil then fail(p, "pattern ends with \\") end
  p.i = p.i + 1
  local ch = utf8.char(c)
  if CLASS_ESCAPES[ch] then return nil, CLASS_ESCAPES[ch] end
  if CONTROL_ESCAPES[ch] then return CONTROL_ESCAPES[ch] end
  if in_class and ch == "b" then return 8 end
  if ch == "0" and not (peek(p) and peek(p) >= 48 and peek(p) <= 57) then return 0 end
  if ch:match("%d") then fail(p, "backreferences are not supported", at) end
  if ch == "k" then fail(p, "named backreferences are not supported", at) end
  if ch == "p" or ch == "P" then fail(p, "unicode property escapes are not supported", at) end
  if ch == "x" then return read_hex(p, 2) end
  if ch == "u" then return read_unicode(p) end
  if ch == "c" then
    local l = peek(p)
    if l and ((l >= 65 and l <= 90) or (l >= 97 and l <= 122)) then
      p.i = p.i + 1
      return l % 32
    end
    fail(p, "bad \\c escape", at)
  end
  if ch:match("%w") or c > 127 then fail(p, "unknown escape \\" .. ch, at) end
  return c
end

local function parse_class(p)
  local neg = eat(p, "^")
  local ranges, sets = {}, {}
  while true do
    local c = peek(p)
    if c == nil then fail(p, "missing ]") end
    if c == byte("]") then p.i = p.i + 1; break end
    local lo, set
    p.i = p.i + 1
    if c == 92 then lo, set = parse_escape(p, true) else lo = c end
    if peek(p) == byte("-") and peek(p, 1) ~= nil and peek(p, 1) ~= byte("]") then
      p.i = p.i + 1
      local hc = peek(p)
      p.i = p.i + 1
      local hi, hset
      if hc == 92 then hi, hset = parse_escape(p, true) else hi = hc end
      if set or hset then fail(p, "class escape used as a range bound") end
      if lo > hi then fail(p, "range out of order in character class") end
      ranges[#ranges + 1] = lo
      ranges[#ranges + 1] = hi
    elseif set then
      sets[#sets + 1] = set
    else
      ranges[#ranges + 1] = lo
      ranges[#ranges + 1] = lo
    end
  end
  return function(c)
    local hit = in_ranges(ranges, c)
    if not hit then
      for i = 1, #sets do
        if sets[i](c) then hit = true; break end
      end
    end
    return hit ~= neg
  end
end

-- Reads {n}, {n,} or {n,m} at p.i; returns min, max (max nil = unbounded) or
-- nothing, leaving p.i alone, when the brace is a literal (ECMA Annex B).
local function parse_braces(p)
  local save = p.i
  local function num()
    local v, n = 0, 0
    while peek(p) and peek(p) >= 48 and peek(p) <= 57 do
      v = v * 10 + (peek(p) - 48)
      n = n + 1
      p.i = p.i + 1
      if v > 100000 then v = 100000 end
    end
    return n > 0 and v or nil
  end
  p.i = p.i + 1
  local lo = num()
  if lo then
    local hi = lo
    local unbounded = false
    if eat(p, ",") then
      hi = num()
      unbounded = hi == nil
    end
    if eat(p, "}") then
      if unbounded then return lo, nil end
      if hi < lo then fail(p, "numbers out of order in {} quantifier") end
      return lo, hi
    end
  end
  p.i = save
end

local parse_alt

local function is_quantifier(p)
  local c = peek(p)
  if c == byte("*") or c == byte("+") or c == byte("?") then return true end
  if c == byte("{") then
    local save = p.i
    local lo = parse_braces(p)
    p.i = save
    return lo ~= nil
  end
  return false
end

local function parse_term(p)
  local c = peek(p)
  local node
  if c == byte("^") then
    p.i = p.i + 1
    node = { t = ASSERT, k = "bol" }
  elseif c == byte("$") then
    p.i = p.i + 1
    node = { t = ASSERT, k = "eol" }
  elseif c == 92 and (peek(p, 1) == byte("b") or peek(p, 1) == byte("B")) then
    node = { t = ASSERT, k = peek(p, 1) == byte("b") and "wb" or "nwb" }
    p.i = p.i + 2
  end
  if node then
    if is_quantifier(p) then fail(p, "nothing to repeat") end
    return node
  end

  if c == byte("(") then
    local at = p.i
    p.i = p.i + 1
    if eat(p, "?") then
      if eat(p, ":") then
        -- non-capturing group
      elseif peek(p) == byte("<") and peek(p, 1) ~= byte("=") and peek(p, 1) ~= byte("!") then
        p.i = p.i + 1
        while peek(p) and peek(p) ~= byte(">") do p.i = p.i + 1 end
        if not eat(p, ">") then fail(p, "unterminated group name") end
      elseif peek(p) == byte("=") or peek(p) == byte("!") or peek(p) == byte("<") then
        fail(p, "lookaround assertions are not supported", at)
      else
        fail(p, "unsupported group syntax (?", at)
      end
    end
    node = parse_alt(p)
    if not eat(p, ")") then fail(p, "missing )", at) end
  elseif c == byte(".") then
    p.i = p.i + 1
    node = { t = SET, f = NOT_NEWLINE }
  elseif c == byte("[") then
    p.i = p.i + 1
    node = { t = SET, f = parse_class(p) }
  elseif c == 92 then
    p.i = p.i + 1
    local cp, set = parse_escape(p, false)
    node = set and { t = SET, f = set } or { t = CHAR, c = cp }
  elseif is_quantifier(p) then
    fail(p, "nothing to repeat")
  else
    p.i = p.i + 1
    node = { t = CHAR, c = c }
  end

  while true do
    local min, max
    if eat(p, "*") then min, max = 0, nil
    elseif eat(p, "+") then min, max = 1, nil
    elseif eat(p, "?") then min, max = 0, 1
    elseif peek(p) == byte("{") then
      min, max = parse_braces(p)
      if min == nil then break end
    else
      break
    end
    eat(p, "?") -- lazy: irrelevant when only asking whether a match exists
    if is_quantifier(p) then fail(p, "nothing to repeat") end
    node = { t = "rep", node = node, min = min, max = max }
  end
  return node
end

local function parse_seq(p)
  local items = {}
  while peek(p) and peek(p) ~= byte("|") and peek(p) ~= byte(")") do
    items[#items + 1] = parse_term(p)
  end
  return { t = "cat", items = items }
end

parse_alt = function(p)
  local alts = { parse_seq(p) }
  while eat(p, "|") do alts[#alts + 1] = parse_seq(p) end
  if #alts == 1 then return alts[1] end
  return { t = "alt", alts = alts }
end

local function emit(prog, inst)
  prog[#prog + 1] = inst
  if #prog > MAX_PROG then
    error({ regex_error = "pattern too large (over " .. MAX_PROG .. " NFA states)" }, 0)
  end
  return #prog
end

local function gen(node, prog)
  local t = node.t
  if t == CHAR then
    emit(prog, { op = CHAR, c = node.c })
  elseif t == SET then
    emit(prog, { op = SET, f = node.f })
  elseif t == ASSERT then
    emit(prog, { op = ASSERT, k = node.k })
  elseif t == "cat" then
    for _, item in ipairs(node.items) do gen(item, prog) end
  elseif t == "alt" then
    local jumps = {}
    for i = 1, #node.alts - 1 do
      local s = emit(prog, { op = SPLIT })
      prog[s].x = #prog + 1
      gen(node.alts[i], prog)
      jumps[#jumps + 1] = emit(prog, { op = JMP })
      prog[s].y = #prog + 1
    end
    gen(node.alts[#node.alts], prog)
    for _, j in ipairs(jumps) do prog[j].x = #prog + 1 end
  else -- rep
    for _ = 1, node.min do gen(node.node, prog) end
    if node.max == nil then
      local s = emit(prog, { op = SPLIT })
      prog[s].x = #prog + 1
      gen(node.node, prog)
      emit(prog, { op = JMP, x = s })
      prog[s].y = #prog + 1
    else
      local exits = {}
      for _ = node.min + 1, node.max do
        local s = emit(prog, { op = SPLIT })
        prog[s].x = #prog + 1
        gen(node.node, prog)
        exits[#exits + 1] = s
      end
      for _, s in ipairs(exits) do prog[s].y = #prog + 1 end
    end
  end
end

-- Compiles an ECMA pattern. Returns a compiled regex (an opaque table), or
-- nil and a reason ("lookaround assertions are not supported at offset 1").
function M.compile(src)
  if type(src) ~= "string" then
    error("bad argument #1 to 'compile' (string expected, got " .. type(src) .. ")", 2)
  end
  if not utf8.len(src) then return nil, "pattern is not valid UTF-8" end
  local cps = {}
  for _, c in utf8.codes(src) do cps[#cps + 1] = c end
  local p = { cps = cps, i = 1 }
  local ok, res = pcall(function()
    local ast = parse_alt(p)
    if p.i <= #cps then fail(p, "unmatched )") end
    local prog = {}
    gen(ast, prog)
    emit(prog, { op = MATCH })
    return prog
  end)
  if not ok then
    if type(res) == "table" and res.regex_error then return nil, res.regex_error end
    error(res, 0)
  end
  return { prog = res }
end

local function holds(k, cps, pos, n)
  if k == "bol" then return pos == 0 end
  if k == "eol" then return pos == n end
  local boundary = is_word(cps[pos]) ~= is_word(cps[pos + 1])
  if k == "wb" then return boundary end
  return not boundary
end

-- True if the compiled regex matches somewhere in s (valid UTF-8).
function M.test(re, s)
  local prog = re.prog
  local cps = {}
  for _, c in utf8.codes(s) do cps[#cps + 1] = c end
  local n = #cps
  local mark, stack = {}, {}
  local gen_no = 1
  local clist, nlist = {}, {}

  -- Follows empty transitions from pc at position pos; parks threads that
  -- wait for a character on list. Returns true once MATCH is reachable.
  local function add(list, pc0, pos)
    local sp = 1
    stack[1] = pc0
    while sp > 0 do
      local pc = stack[sp]
      sp = sp - 1
      if mark[pc] ~= gen_no then
        mark[pc] = gen_no
        local inst = prog[pc]
        local op = inst.op
        if op == MATCH then
          return true
        elseif op == JMP then
          sp = sp + 1; stack[sp] = inst.x
        elseif op == SPLIT then
          sp = sp + 1; stack[sp] = inst.y
          sp = sp + 1; stack[sp] = inst.x
        elseif op == ASSERT then
          if holds(inst.k, cps, pos, n) then sp = sp + 1; stack[sp] = pc + 1 end
        else
          list[#list + 1] = pc
        end
      end
    end
    return false
  end

  for pos = 0, n do
    -- Unanchored search: a new attempt may start at every position.
    if add(clist, 1, pos) then return true end
    if pos == n then break end
    local c = cps[pos + 1]
    gen_no = gen_no + 1
    for i = 1, #clist do
      local pc = clist[i]
      local inst = prog[pc]
      if (inst.op == CHAR and inst.c == c) or (inst.op == SET and inst.f(c)) then
        if add(nlist, pc + 1, pos + 1) then return true end
      end
    end
    clist, nlist = nlist, clist
    for i = #nlist, 1, -1 do nlist[i] = nil end
  end
  return false
end

return M
