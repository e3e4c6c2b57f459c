-- diff.lua: line-based unified diffs (the format of `diff -u`), for showing what a dry-run
-- write would change against the live object. Pure Lua; owned by the kubernetes tool set.
--
--   diff.unified(a_text, b_text [, opts]) -> text, info
--
-- Myers' O(ND) algorithm ("An O(ND) Difference Algorithm and Its Variations", 1986) on the
-- lines between the common prefix and suffix, so the usual small edit to a big object
-- costs little. Effort is bounded: past opts.max_cost steps (default 1e6: about 1,400
-- changed lines; measured at most ~35 million VM instructions and 16 MB of trace kept for
-- backtracking, inside a tool call's default 100 million and 64 MB) the changed region is
-- shown as one replacement, with a note, instead of a minimal diff, so a 10 MB object
-- cannot pin the CPU.

local M = {}

local find, sub, format, concat = string.find, string.sub, string.format, table.concat

local DEFAULT_MAX_COST = 1000000
local NO_NEWLINE = "\\ No newline at end of file"

-- Lines with their "\n" kept, so a last line without one differs from the same text with
-- one, as in diff(1).
local function split(text)
  local lines, pos, n = {}, 1, #text
  while pos <= n do
    local nl = find(text, "\n", pos, true)
    if not nl then
      lines[#lines + 1] = sub(text, pos)
      break
    end
    lines[#lines + 1] = sub(text, pos, nl)
    pos = nl + 1
  end
  return lines
end

-- Myers forward pass over a[alo..ahi] and b[blo..bhi] (line ids), then backtracking.
-- Appends ops to out as {kind, ai, bi}: kind "=", "-" or "+". Returns false, appending
-- nothing, when the cost bound is hit.
local function myers(a, alo, ahi, b, blo, bhi, max_cost, out)
  local n, m = ahi - alo + 1, bhi - blo + 1
  local max = n + m
  local v = { [1] = 0 }
  local trace = {}
  local cost = 0
  local found
  for d = 0, max do
    -- A copy of v before this round, diagonals -d+1, -d+3, ..., d-1 (what backtracking
    -- reads) at indices 1..d: an array part, a third of the memory of negative keys.
    local snap = {}
    for k = -d + 1, d - 1, 2 do snap[(k + d + 1) // 2] = v[k] end
    trace[d] = snap
    for k = -d, d, 2 do
      local x
      if k == -d or (k ~= d and v[k - 1] < v[k + 1]) then
        x = v[k + 1]
      else
        x = v[k - 1] + 1
      end
      local y = x - k
      while x < n and y < m and a[alo + x] == b[blo + y] do
        x, y = x + 1, y + 1
        cost = cost + 1
      end
      v[k] = x
      cost = cost + 1
      if x >= n and y >= m then found = d; break end
    end
    if found then break end
    if cost > max_cost then return false end
  end

  -- Backtrack from (n, m) to (0, 0), collecting ops in reverse.
  local rev = {}
  local x, y = n, m
  for d = found, 1, -1 do
    local vd = trace[d]
    local k = x - y
    local prev_k
    local lo, hi = vd[(k + d) // 2], vd[(k + d + 2) // 2] -- diagonals k - 1 and k + 1
    if k == -d or (k ~= d and lo < hi) then prev_k = k + 1 else prev_k = k - 1 end
    local px = prev_k == k + 1 and hi or lo
    local py = px - prev_k
    local sx, sy = px, py -- where the snake starts, after the edit
    if prev_k == k + 1 then sy = py + 1 else sx = px + 1 end
    while x > sx and y > sy do
      rev[#rev + 1] = { "=", alo + x - 1, blo + y - 1 }
      x, y = x - 1, y - 1
    end
    if prev_k == k + 1 then
      rev[#rev + 1] = { "+", nil, blo + py }
    else
      rev[#rev + 1] = { "-", alo + px, nil }
    end
    x, y = px, py
  end
  while x > 0 and y > 0 do
    rev[#rev + 1] = { "=", alo + x - 1, blo + y - 1 }
    x, y = x - 1, y - 1
  end
  for i = #rev, 1, -1 do out[#out + 1] = rev[i] end
  return true
end

local function range(start, count)
  if count == 1 then return format("%d", start) end
  if count == 0 then return format("%d,0", start - 1) end
  return format("%d,%d", start, count)
end

-- Prints one line of a hunk: the marker, the line without its "\n", and diff's note when
-- the line had none.
local function emit(out, mark, line)
  if sub(line, -1) == "\n" then
    out[#out + 1] = mark .. sub(line, 1, -2)
  else
    out[#out + 1] = mark .. line
    out[#out + 1] = NO_NEWLINE
  end
end

-- A unified diff of two texts, "" when they are equal. opts: a_label ("a"), b_label
-- ("b"), context (3 lines), max_cost (1e6 comparison steps). Returns text (ending with a
-- newline when not empty) and {added=, removed=, fallback=}. With fallback the first line
-- is a note that the region is shown as a whole replacement, not a minimal diff.
function M.unified(a_text, b_text, opts)
  if type(a_text) ~= "string" then
    error("bad argument #1 to 'unified' (string expected, got " .. type(a_text) .. ")", 2)
  end
  if type(b_text) ~= "string" then
    error("bad argument #2 to 'unified' (string expected, got " .. type(b_text) .. ")", 2)
  end
  opts = opts or {}
  local ctx = math.tointeger(opts.context) or 3
  if ctx < 0 then ctx = 0 end
  local info = { added = 0, removed = 0, fallback = false }
  if a_text == b_text then return "", info end

  local a, b = split(a_text), split(b_text)
  -- Compare lines as small integers: one string hash per line instead of one per step.
  local ids, next_id = {}, 0
  local ai, bi = {}, {}
  for i, l in ipairs(a) do
    local id = ids[l]
    if not id then next_id = next_id + 1; id = next_id; ids[l] = id end
    ai[i] = id
  end
  for i, l in ipairs(b) do
    local id = ids[l]
    if not id then next_id = next_id + 1; id = next_id; ids[l] = id end
    bi[i] = id
  end

  local na, nb = #a, #b
  local pre = 0
  while pre < na and pre < nb and ai[pre + 1] == bi[pre + 1] do pre = pre + 1 end
  local suf = 0
  while suf < na - pre and suf < nb - pre and ai[na - suf] == bi[nb - suf] do suf = suf + 1 end

  -- ops over the changed region plus up to ctx lines of context on each side.
  local ops = {}
  local lead = math.min(pre, ctx)
  for i = pre - lead + 1, pre do ops[#ops + 1] = { "=", i, i } end
  local alo, ahi, blo, bhi = pre + 1, na - suf, pre + 1, nb - suf
  local trail = math.min(suf, ctx)
  local out = {}
  -- Only insertions or only deletions: that one hunk is the diff, and Myers would take
  -- O(n^2) steps to find it.
  local one_sided = alo > ahi or blo > bhi
  if one_sided or not myers(ai, alo, ahi, bi, blo, bhi, opts.max_cost or DEFAULT_MAX_COST, ops) then
    -- One hunk replacing the whole changed region, written straight out: no ops.
    info.fallback = not one_sided
    info.removed, info.added = ahi - alo + 1, bhi - blo + 1
    if info.fallback then
      out[1] = "# diff: the inputs differ too much for a line-by-line comparison within "
               .. "the effort limit; the changed region is shown as one replacement"
    end
    out[#out + 1] = "--- " .. (opts.a_label or "a")
    out[#out + 1] = "+++ " .. (opts.b_label or "b")
    out[#out + 1] = format("@@ -%s +%s @@", range(pre - lead + 1, lead + info.removed + trail),
                    range(pre - lead + 1, lead + info.added + trail))
    for k = pre - lead + 1, pre do emit(out, " ", a[k]) end
    for k = alo, ahi do emit(out, "-", a[k]) end
    for k = blo, bhi do emit(out, "+", b[k]) end
    for k = ahi + 1, ahi + trail do emit(out, " ", a[k]) end
    return concat(out, "\n") .. "\n", info
  end
  for k = 1, trail do ops[#ops + 1] = { "=", ahi + k, bhi + k } end

  -- Hunks: runs of changes whose gaps of equal lines are at most 2*ctx long.
  out[1] = "--- " .. (opts.a_label or "a")
  out[2] = "+++ " .. (opts.b_label or "b")
  -- Lines of a and b before op `seen + 1` (the first op is line pre - lead + 1 of both).
  local a_before, b_before, seen = pre - lead, pre - lead, 0
  local i, nops = 1, #ops
  while i <= nops do
    while i <= nops and ops[i][1] == "=" do i = i + 1 end
    if i > nops then break end
    local first = math.max(1, i - ctx)
    local last = i
    local j = i
    while j <= nops do
      if ops[j][1] ~= "=" then
        last = j
        j = j + 1
      else
        local k = j
        while k <= nops and ops[k][1] == "=" do k = k + 1 end
        if k > nops or k - j > 2 * ctx then break end
        j = k
      end
    end
    local stop = math.min(nops, last + ctx)
    -- Hunk start lines: the first a/b line at or after op `first`.
    for q = seen + 1, first - 1 do
      local op = ops[q]
      if op[1] ~= "+" then a_before = a_before + 1 end
      if op[1] ~= "-" then b_before = b_before + 1 end
    end
    seen = first - 1
    local a_start, b_start, a_count, b_count = a_before + 1, b_before + 1, 0, 0
    for q = first, stop do
      local op = ops[q]
      if op[1] ~= "+" then a_count = a_count + 1 end
      if op[1] ~= "-" then b_count = b_count + 1 end
    end
    out[#out + 1] = format("@@ -%s +%s @@", range(a_start, a_count), range(b_start, b_count))
    local q = first
    while q <= stop do
      local op = ops[q]
      if op[1] == "=" then
        emit(out, " ", a[op[2]])
        q = q + 1
      else
        -- A change block: its deletions, then its insertions, as diff(1) prints them.
        local r = q
        while r <= stop and ops[r][1] ~= "=" do r = r + 1 end
        for s = q, r - 1 do
          if ops[s][1] == "-" then emit(out, "-", a[ops[s][2]]); info.removed = info.removed + 1 end
        end
        for s = q, r - 1 do
          if ops[s][1] == "+" then emit(out, "+", b[ops[s][3]]); info.added = info.added + 1 end
        end
        q = r
      end
    end
    i = stop + 1
  end
  return concat(out, "\n") .. "\n", info
end

return M
