local diff = require("diff")
local sandboxed = require("sandbox")

local function text(...) return table.concat({ ... }, "\n") .. "\n" end

-- The hunks (everything after the ---/+++ headers) of diff.unified.
local function hunks(a, b, opts)
  local out = diff.unified(a, b, opts)
  return (out:gsub("^%-%-%- [^\n]*\n%+%+%+ [^\n]*\n", ""))
end

-- Applies a unified diff to a, checking every context and removed line: proves a diff
-- is a correct description of the change.
local function apply(a, patch)
  local src = {}
  for l in a:gmatch("[^\n]*\n?") do if l ~= "" then src[#src + 1] = l end end
  local out, pos = {}, 1
  local plines = {}
  for l in patch:gmatch("([^\n]*)\n") do plines[#plines + 1] = l end
  local i = 1
  while i <= #plines and not plines[i]:match("^@@") do i = i + 1 end
  while i <= #plines do
    local astart = tonumber(plines[i]:match("^@@ %-(%d+)"))
    local acount = tonumber(plines[i]:match("^@@ %-%d+,(%d+)")) or 1
    if acount == 0 then astart = astart + 1 end
    while pos < astart do out[#out + 1] = src[pos]; pos = pos + 1 end
    i = i + 1
    while i <= #plines and not plines[i]:match("^@@") do
      local l = plines[i]
      local mark, body = l:sub(1, 1), l:sub(2)
      local no_nl = plines[i + 1] == "\\ No newline at end of file"
      local full = body .. (no_nl and "" or "\n")
      if mark == " " or mark == "-" then
        assert(src[pos] == full, "patch does not apply at line " .. pos)
        pos = pos + 1
      end
      if mark == " " or mark == "+" then out[#out + 1] = full end
      i = i + (no_nl and 2 or 1)
    end
  end
  while pos <= #src do out[#out + 1] = src[pos]; pos = pos + 1 end
  return table.concat(out)
end

-- Length of the longest common subsequence of two line arrays (the minimal diff has
-- n + m - 2 * lcs changed lines).
local function lcs(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = 0 end
  for i = 1, #a do
    local cur = { [0] = 0 }
    for j = 1, #b do
      cur[j] = a[i] == b[j] and prev[j - 1] + 1 or math.max(prev[j], cur[j - 1])
    end
    prev = cur
  end
  return prev[#b]
end

local DEPLOYMENT = text("apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: web",
  "  namespace: shop", "  labels:", "    app: web", "spec:", "  replicas: 3", "  selector:",
  "    matchLabels:", "      app: web", "  template:", "    metadata:", "      labels:",
  "        app: web", "    spec:", "      containers:", "      - name: web",
  "        image: nginx:1.25", "        ports:", "        - containerPort: 80")
local DEPLOYMENT_DRY_RUN = DEPLOYMENT:gsub("replicas: 3", "replicas: 5"):gsub("nginx:1.25", "nginx:1.27")
  .. text("        resources:", "          limits:", "            memory: 256Mi")

describe("diff", function()
  it("loads in the host's sandbox", function()
    assert.are.equal("", (sandboxed("diff").unified("a\n", "a\n")))
  end)

  describe("unified, compared with diff -u", function()
    it("is empty for equal texts", function()
      assert.are.equal("", diff.unified("", ""))
      assert.are.equal("", diff.unified(DEPLOYMENT, DEPLOYMENT))
      local out, info = diff.unified("a", "a")
      assert.are.equal("", out)
      assert.are.same({ added = 0, removed = 0, fallback = false }, info)
    end)

    it("writes the labels as headers", function()
      assert.are.equal(text("--- live", "+++ dry-run", "@@ -1 +1 @@", "-a", "+b"),
                       diff.unified("a\n", "b\n", { a_label = "live", b_label = "dry-run" }))
      assert.are.equal(text("--- a", "+++ b", "@@ -1 +1 @@", "-a", "+b"), diff.unified("a\n", "b\n"))
    end)

    it("shows a dry-run apply with three lines of context", function()
      local out, info = diff.unified(DEPLOYMENT, DEPLOYMENT_DRY_RUN)
      assert.are.equal(text(
        "--- a", "+++ b",
        "@@ -6,7 +6,7 @@", "   labels:", "     app: web", " spec:", "-  replicas: 3", "+  replicas: 5",
        "   selector:", "     matchLabels:", "       app: web",
        "@@ -17,6 +17,9 @@", "     spec:", "       containers:", "       - name: web",
        "-        image: nginx:1.25", "+        image: nginx:1.27", "         ports:",
        "         - containerPort: 80", "+        resources:", "+          limits:",
        "+            memory: 256Mi"), out)
      assert.are.same({ added = 5, removed = 2, fallback = false }, info)
    end)

    it("merges hunks whose context touches", function()
      assert.are.equal(text(
        "@@ -1,22 +1,25 @@", " apiVersion: apps/v1", " kind: Deployment", " metadata:", "   name: web",
        "   namespace: shop", "   labels:", "     app: web", " spec:", "-  replicas: 3", "+  replicas: 5",
        "   selector:", "     matchLabels:", "       app: web", "   template:", "     metadata:",
        "       labels:", "         app: web", "     spec:", "       containers:", "       - name: web",
        "-        image: nginx:1.25", "+        image: nginx:1.27", "         ports:",
        "         - containerPort: 80", "+        resources:", "+          limits:",
        "+            memory: 256Mi"), hunks(DEPLOYMENT, DEPLOYMENT_DRY_RUN, { context = 10 }))
    end)

    it("writes single-line and empty ranges as diff does, with no context", function()
      assert.are.equal(text(
        "@@ -9 +9 @@", "-  replicas: 3", "+  replicas: 5",
        "@@ -20 +20 @@", "-        image: nginx:1.25", "+        image: nginx:1.27",
        "@@ -22,0 +23,3 @@", "+        resources:", "+          limits:", "+            memory: 256Mi"),
        hunks(DEPLOYMENT, DEPLOYMENT_DRY_RUN, { context = 0 }))
    end)

    it("handles insertions around the only line, and whole-file additions and removals", function()
      assert.are.equal(text("@@ -1 +1,4 @@", "+a", "+b", " x", "+y"), hunks("x\n", "a\nb\nx\ny\n"))
      assert.are.equal(text("@@ -0,0 +1,3 @@", "+a", "+b", "+c"), hunks("", "a\nb\nc\n"))
      assert.are.equal(text("@@ -1 +0,0 @@", "-a"), hunks("a\n", ""))
      local _, info = diff.unified("", string.rep("line\n", 5000))
      assert.are.same({ added = 5000, removed = 0, fallback = false }, info)
    end)

    it("marks lines without a final newline", function()
      assert.are.equal(text("@@ -1,2 +1,3 @@", " a", "-b", "\\ No newline at end of file", "+b", "+c",
                            "\\ No newline at end of file"), hunks("a\nb", "a\nb\nc"))
      assert.are.equal(text("@@ -1,2 +1,2 @@", " a", "-b", "\\ No newline at end of file", "+b"),
                       hunks("a\nb", "a\nb\n"))
      assert.are.equal(text("@@ -1,2 +1,2 @@", " a", "-b", "+b", "\\ No newline at end of file"),
                       hunks("a\nb\n", "a\nb"))
      assert.are.equal(text("@@ -1,2 +1,2 @@", "-a", "+z", " b", "\\ No newline at end of file"),
                       hunks("a\nb", "z\nb"))
      assert.are.equal(text("@@ -1 +1 @@", "-x", "\\ No newline at end of file", "+y",
                            "\\ No newline at end of file"), hunks("x", "y"))
    end)

    it("compares UTF-8 lines byte for byte", function()
      assert.are.equal(text("@@ -1,3 +1,3 @@", " héllo", "-wörld", "+wörld!", " 日本"),
                       hunks("héllo\nwörld\n日本\n", "héllo\nwörld!\n日本\n"))
    end)

    it("keeps blank lines and carriage returns as content", function()
      assert.are.equal(text("@@ -1,3 +1,3 @@", " a", "-", "+ ", " b"), hunks("a\n\nb\n", "a\n \nb\n"))
      assert.are.equal(text("@@ -1 +1 @@", "-a\r", "+a"), hunks("a\r\n", "a\n"))
    end)
  end)

  describe("unified, properties", function()
    local function random_case(seed)
      local rng = seed
      local function rand(n) rng = (rng * 1103515245 + 12345) % 2147483648; return rng % n end
      local a = {}
      for i = 1, rand(40) do a[i] = "l" .. rand(6) end
      local b = {}
      for _, l in ipairs(a) do
        local op = rand(10)
        if op == 0 then -- delete
        elseif op == 1 then b[#b + 1] = "x" .. rand(6); b[#b + 1] = l
        elseif op == 2 then b[#b + 1] = "y" .. rand(3)
        else b[#b + 1] = l end
      end
      if rand(3) == 0 then b[#b + 1] = "tail" end
      local at = #a > 0 and table.concat(a, "\n") .. (rand(4) == 0 and "" or "\n") or ""
      local bt = #b > 0 and table.concat(b, "\n") .. (rand(4) == 0 and "" or "\n") or ""
      return at, bt
    end

    local function split(s)
      local out = {}
      for l in s:gmatch("[^\n]*\n?") do if l ~= "" then out[#out + 1] = l end end
      return out
    end

    it("produces patches that turn a into b, with a minimal number of changes", function()
      for seed = 1, 200 do
        local a, b = random_case(seed)
        for _, ctx in ipairs({ 0, 1, 3 }) do
          local out, info = diff.unified(a, b, { context = ctx })
          assert.are.equal(b, apply(a, out), "seed " .. seed .. " context " .. ctx)
          local la, lb = split(a), split(b)
          local common = lcs(la, lb)
          assert.are.equal(#la - common, info.removed, "seed " .. seed)
          assert.are.equal(#lb - common, info.added, "seed " .. seed)
        end
      end
    end)

    it("falls back to one replacement hunk past the effort limit, still a correct patch", function()
      local a, b = {}, {}
      for i = 1, 300 do a[i] = "a" .. i; b[i] = i % 2 == 0 and ("b" .. i) or ("a" .. i) end
      local at, bt = table.concat(a, "\n") .. "\n", table.concat(b, "\n") .. "\n"
      local out, info = diff.unified(at, bt, { max_cost = 1000, a_label = "live", b_label = "dry-run" })
      assert.is_true(info.fallback)
      assert.are.equal("# diff: the inputs differ too much for a line-by-line comparison within the effort "
                       .. "limit; the changed region is shown as one replacement", out:match("^[^\n]*"))
      assert.is_truthy(out:find("\n--- live\n+++ dry-run\n@@ -1,300 +1,300 @@\n", 1, true))
      assert.are.same({ added = 299, removed = 299, fallback = true }, info)
      assert.are.equal(bt, apply(at, out))
      local exact, einfo = diff.unified(at, bt)
      assert.is_false(einfo.fallback)
      assert.are.equal(150, einfo.added)
      assert.are.equal(bt, apply(at, exact))
    end)

    it("finds one change in a very large text quickly through the common prefix and suffix", function()
      local lines = {}
      for i = 1, 100000 do lines[i] = "  key" .. i .. ": value" end
      local a = table.concat(lines, "\n") .. "\n"
      lines[23456] = "  key23456: changed"
      local b = table.concat(lines, "\n") .. "\n"
      local out, info = diff.unified(a, b)
      assert.are.equal(text("--- a", "+++ b", "@@ -23453,7 +23453,7 @@", "   key23453: value",
        "   key23454: value", "   key23455: value", "-  key23456: value", "+  key23456: changed",
        "   key23457: value", "   key23458: value", "   key23459: value"), out)
      assert.is_false(info.fallback)
    end)

    it("bounds the work on completely different large texts", function()
      local a, b = {}, {}
      for i = 1, 5000 do a[i] = "a" .. i; b[i] = "b" .. i end
      local out, info = diff.unified(table.concat(a, "\n"), table.concat(b, "\n"))
      assert.is_true(info.fallback)
      assert.are.equal(5000, info.added)
      assert.are.equal(5000, info.removed)
      assert.is_truthy(out:find("@@ -1,5000 +1,5000 @@", 1, true))
    end)
  end)

  it("raises on non-string inputs", function()
    assert.has_error(function() diff.unified(nil, "") end,
                     "bad argument #1 to 'unified' (string expected, got nil)")
    assert.has_error(function() diff.unified("", {}) end,
                     "bad argument #2 to 'unified' (string expected, got table)")
  end)
end)
