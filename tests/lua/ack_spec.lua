-- ack_spec.lua: the pure parts of lua/ack.lua (ids, errors, times, paging, views, the poll
-- loop) under plain Lua, loaded through the host-like sandbox so any use of a host module
-- at load time fails here. The cloud calls are tested end to end (tests/e2e/ack_tools.test.js).
local sandbox = require("sandbox")
local ack = sandbox("ack")
local tooldef = require("tooldef")

local CLUSTER = "c346c131d737cfd3b28ae4355e7f1adb1"
local POOL = "np6edaf93ec693ee91d938597b5f146d40"

local function raised(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  return e
end

describe("ack", function()
  describe("ids", function()
    it("accepts well-formed cluster and node pool ids", function()
      assert.are.equal(CLUSTER, ack.check_id("cluster_id", CLUSTER))
      assert.are.equal(POOL, ack.check_id("nodepool_id", POOL))
    end)

    it("refuses malformed ids with a precise InvalidParameter error", function()
      for _, bad in ipairs({ "c123", CLUSTER .. "0", "C" .. CLUSTER:sub(2), "x" .. CLUSTER:sub(2),
                             CLUSTER:sub(1, 32) .. "/", CLUSTER:upper(), "" }) do
        local e = raised(ack.check_id, "cluster_id", bad)
        assert.are.equal("InvalidParameter", e.code)
        assert.truthy(e.message:find("cluster_id", 1, true), e.message)
        assert.truthy(e.message:find('"c" followed by 32', 1, true), e.message)
      end
      assert.are.equal("InvalidParameter", raised(ack.check_id, "nodepool_id", CLUSTER).code)
      assert.truthy(raised(ack.check_id, "cluster_id", 42).message:find("number", 1, true))
    end)

    it("falls back to the default cluster, and says which setting to use when there is none", function()
      assert.are.equal(CLUSTER, ack.cluster_arg({}, { default_cluster_id = CLUSTER }))
      assert.are.equal(CLUSTER, ack.cluster_arg({ cluster_id = CLUSTER }, {}))
      local e = raised(ack.cluster_arg, {}, {})
      assert.are.equal("MissingParameter", e.code)
      assert.truthy(e.message:find("--default-cluster-id", 1, true))
      assert.are.equal("InvalidParameter", raised(ack.cluster_arg, {}, { default_cluster_id = "bad" }).code)
    end)

    it("schema patterns match the Lua checks", function()
      local regex = require("regex")
      local re = assert(regex.compile(ack.CLUSTER_ID_PATTERN))
      assert.is_true(regex.test(re, CLUSTER))
      assert.is_false(regex.test(re, CLUSTER .. "0"))
      assert.is_true(regex.test(assert(regex.compile(ack.NODEPOOL_ID_PATTERN)), POOL))
      local job = assert(regex.compile(ack.JOB_ID_PATTERN))
      assert.is_true(regex.test(job, "T-5faa48fb31b6b8078d000006"))
      assert.is_false(regex.test(job, "../tasks/x"))
      assert.is_false(regex.test(job, "a/b"))
    end)
  end)

  describe("errors", function()
    it("raises structured errors that print", function()
      local e = raised(ack.fail, "Boom", "it broke", { request_id = "R1" })
      assert.are.same({ "Boom", "it broke", "R1" }, { e.code, e.message, e.request_id })
      assert.are.equal("Boom: it broke", tostring(e))
    end)

    it("turns any raised value into the one error object", function()
      assert.are.same({ code = "InternalError", message = "x.lua:1: oops", api = "DescribeX" },
                      ack.error_object("x.lua:1: oops", "DescribeX"))
      local e = ack.error_object({ code = "Throttling.User", message = "slow down", request_id = "R", status = 400,
                                   retryable = true, api = "DescribeClustersV1", junk = 1 })
      assert.are.same({ code = "Throttling.User", message = "slow down", request_id = "R", status = 400,
                        retryable = true, api = "DescribeClustersV1" }, e)
    end)
  end)

  describe("parse_time", function()
    local NOW = 1700000000
    local function iso(s)
      if s == "2025-06-01T08:00:00Z" then return 1748764800 end
      return nil, "bad date"
    end

    it("reads relative times back from now", function()
      assert.are.equal(NOW - 1800, ack.parse_time("30m", NOW, iso))
      assert.are.equal(NOW - 7200, ack.parse_time("2h", NOW, iso))
      assert.are.equal(NOW - 86400, ack.parse_time("1d", NOW, iso))
      assert.are.equal(NOW - 45, ack.parse_time(" 45s ", NOW, iso))
      assert.are.equal(NOW - 5400, ack.parse_time("1.5h", NOW, iso))
      assert.are.equal(NOW, ack.parse_time("now", NOW, iso))
    end)

    it("reads unix seconds, milliseconds and RFC 3339", function()
      assert.are.equal(1690000000, ack.parse_time("1690000000", NOW, iso))
      assert.are.equal(1690000000, ack.parse_time("1690000000000", NOW, iso))
      assert.are.equal(1690000000, ack.parse_time(1690000000, NOW, iso))
      assert.are.equal(1748764800, ack.parse_time("2025-06-01T08:00:00Z", NOW, iso))
    end)

    it("explains what it accepts when it cannot read a time", function()
      local t, why = ack.parse_time("yesterday", NOW, iso)
      assert.is_nil(t)
      assert.truthy(why:find("30m, 2h, 1d", 1, true))
      assert.is_nil((ack.parse_time({}, NOW, iso)))
    end)
  end)

  describe("paging", function()
    it("slices pages and counts the total", function()
      local items = { 1, 2, 3, 4, 5 }
      local page, total = ack.slice(items, 2, 2)
      assert.are.same({ 3, 4 }, page)
      assert.are.equal(5, total)
      assert.are.same({}, (ack.slice(items, 4, 2)))
      assert.is_true(json.is_array(ack.slice({}, 1, 10)))
    end)

    it("reads all pages until the total, a short page, or the page limit", function()
      local data = {}
      for i = 1, 12 do data[i] = i end
      local asked = {}
      local function fetch(p)
        asked[#asked + 1] = p
        return { table.unpack(data, (p - 1) * 5 + 1, math.min(12, p * 5)) }, 12
      end
      local all, total, more = ack.all_pages(fetch, 5, 10)
      assert.are.equal(12, #all)
      assert.are.same({ 12, 3, false }, { total, #asked, more })
      asked = {}
      all, total, more = ack.all_pages(fetch, 5, 2)
      assert.are.same({ 10, 12, true }, { #all, total, more })
    end)

    it("caps a list at a record boundary", function()
      local items = {}
      for i = 1, 10 do items[i] = { name = string.rep("x", 10), i = i } end
      local one = #json.encode(items[1]) + 1
      local kept, cut, n = ack.cap(items, one * 3 + 2)
      assert.are.same({ 3, true, 3 }, { #kept, cut, n })
      kept, cut = ack.cap(items, 1e6)
      assert.are.same({ 10, false }, { #kept, cut })
      assert.are.equal(30720, ack.list_budget({ max_output_bytes = 32768 }))
      assert.are.equal(1024, ack.list_budget({ max_output_bytes = 1024 }))
    end)
  end)

  describe("list results", function()
    it("keep what fits the budget, with the paging asked for, and say when the list was cut", function()
      local items = {}
      for i = 1, 40 do items[i] = { name = string.rep("x", 40), i = i } end
      local args = { page_number = 2, page_size = 40 }
      local r = ack.page_result("nodes", items, 95, args, { max_output_bytes = 3072 })
      assert.is_true(#r.nodes > 0 and #r.nodes < 40, tostring(#r.nodes))
      assert.are.same({ 2, 40, 95, true }, { r.page_number, r.page_size, r.total_count, r.truncated })
      r = ack.page_result("nodes", items, 40, args, { max_output_bytes = 1e6 })
      assert.are.same({ 40, nil }, { #r.nodes, r.truncated })
      assert.is_true(json.is_array(ack.page_result("nodes", {}, 0, args, {}).nodes))
      assert.is_true(ack.page_result("tasks", {}, 0, args, {}, true).truncated, "more: the list itself was cut")
    end)
  end)

  describe("schema pieces", function()
    local function def(input, output)
      return { name = "foo", title = "Foo", description = "Foo.", toolset = "ack", input = input, output = output,
               handler = function() end }
    end

    it("build input and output schemas the definition checks accept", function()
      local list = def({ type = "object", additionalProperties = false,
                         properties = { nodepool_id = ack.nodepool_id_schema("Only this pool"),
                                        page_number = ack.page_number_schema(), page_size = ack.page_size_schema("Pools") } },
                       ack.page_output("pools", { hint = { type = "string" } }))
      assert.is_true(tooldef.check(list, "foo"))
      assert.are.same({ "pools", "page_number", "page_size", "total_count" }, list.output.required)
      assert.are.same({ type = "string" }, list.output.properties.hint)
      assert.are.equal('Only this pool: "np" + 32 lowercase letters or digits.', list.input.properties.nodepool_id.description)
      assert.are.equal("Pools per page, 1 to 100.", list.input.properties.page_size.description)
      local task = def({ type = "object", properties = ack.task_wait_input({ cluster_id = ack.cluster_id_schema() }, "scaling") },
                       ack.task_output())
      assert.is_true(tooldef.check(task, "foo"))
      assert.are.equal("Wait for the scaling task to finish.", task.input.properties.wait.description)
      assert.are.same({ 10, 3500, 600 }, { task.input.properties.timeout_seconds.minimum,
                                           task.input.properties.timeout_seconds.maximum, task.input.properties.timeout_seconds.default })
      local job = def({ type = "object", properties = ack.job_wait_input({ language = ack.language_schema("report") }, "T.", "P.") })
      assert.is_true(tooldef.check(job, "foo"))
      assert.are.same({ "T.", "P.", "Language of the report." }, { job.input.properties.timeout_seconds.description,
        job.input.properties.poll_interval_seconds.description, job.input.properties.language.description })
      assert.is_true(tooldef.check(def(ack.diagnosis_read_input()), "foo"))
    end)

    it("are fresh tables on every call, so no tool's schema is another's", function()
      assert.are_not.equal(ack.task_output(), ack.task_output())
      assert.are.same(ack.task_output(), ack.task_output())
      assert.are_not.equal(ack.diagnosis_read_input().properties, ack.diagnosis_read_input().properties)
      assert.are_not.equal(ack.page_output("a").properties.a, ack.page_output("a").properties.a)
    end)
  end)

  describe("wait_job", function()
    local real_wait = ack.wait
    after_each(function() ack.wait = real_wait end)
    local ARGS = { timeout_seconds = 7, poll_interval_seconds = 0.5 }

    it("waits with the arguments' timeout and interval and returns the timeout", function()
      local seen
      ack.wait = function(ctx, o) seen = o; return { status = "completed" }, "done" end
      local r, outcome, timeout = ack.wait_job({}, ARGS, { fetch = function() end }, "diagnosis_id", "d1", " (note)")
      assert.are.same({ "completed", "done", 7 }, { r.status, outcome, timeout })
      assert.are.same({ 7, 0.5 }, { seen.timeout, seen.interval })
    end)

    it("raises a failed read with the job's id and the note, so it is not started twice", function()
      ack.wait = function() error({ code = "Throttling.User", message = "slow down", request_id = "R1", retryable = true }, 0) end
      local e = raised(ack.wait_job, {}, ARGS, {}, "report_id", "r9", " (inspection report r9)")
      assert.are.same({ "Throttling.User", "slow down (inspection report r9)", "r9", "R1", true },
                      { e.code, e.message, e.report_id, e.request_id, e.retryable })
      ack.wait = function() error("boom", 0) end
      e = raised(ack.wait_job, {}, ARGS, {}, "diagnosis_id", "d1", " (diagnosis d1)")
      assert.are.same({ "InternalError", "boom (diagnosis d1)", "d1" }, { e.code, e.message, e.diagnosis_id })
    end)
  end)

  describe("views", function()
    it("parses master_url into endpoints and keeps null fields", function()
      local c = ack.cluster_view({
        cluster_id = CLUSTER, vpc_id = json.null, tags = json.null,
        master_url = '{"api_server_endpoint":"","intranet_api_server_endpoint":"https://192.168.0.10:6443"}',
      })
      assert.are.equal(json.null, c.vpc_id)
      assert.are.equal(json.null, c.tags)
      assert.is_nil(c.master_url)
      assert.are.equal(json.null, c.api_server_endpoints.public)
      assert.are.equal("https://192.168.0.10:6443", c.api_server_endpoints.intranet)
      local broken = ack.cluster_view({ cluster_id = CLUSTER, master_url = "{not json" })
      assert.are.same({ public = json.null, intranet = json.null }, broken.api_server_endpoints)
    end)

    it("flattens node pools and redacts their secrets", function()
      local np = ack.nodepool_view({
        nodepool_info = { nodepool_id = POOL, name = "default-nodepool", is_default = true },
        status = { state = "active", total_nodes = 3 },
        scaling_group = { desired_size = 3, login_password = "hunter2", user_data = "IyEvYmlu",
                          instance_types = json.array({ "ecs.g7.xlarge" }), key_pair = "" },
        kubernetes_config = { runtime = "containerd" },
      })
      assert.are.same({ POOL, "default-nodepool", true, "active", 3, 3 },
                      { np.nodepool_id, np.name, np.is_default, np.state, np.total_nodes, np.desired_size })
      assert.are.equal("[redacted]", np.scaling_group.login_password)
      assert.are.equal("[redacted]", np.scaling_group.user_data)
      assert.is_true(json.is_array(np.scaling_group.instance_types))
      assert.are.equal("containerd", np.kubernetes_config.runtime)
      local shown = ack.nodepool_view({ scaling_group = { login_password = "hunter2" } }, true)
      assert.are.equal("hunter2", shown.scaling_group.login_password)
    end)

    it("maps task states, fail being failed", function()
      assert.are.equal("failed", ack.task_state("fail"))
      for _, s in ipairs({ "success", "failed", "fail", "canceled" }) do assert.is_true(ack.task_terminal(s)) end
      for _, s in ipairs({ "running", "pausing", "paused", "resuming", "cancelling" }) do
        assert.is_false(ack.task_terminal(s))
      end
      assert.are.equal(json.null, ack.task_view({ task_id = "T-1", state = "running", error = json.null }).error)
    end)

    it("maps diagnosis status and code integers, 0 included", function()
      local created = ack.diagnosis_view({ diagnosis_id = "d1", status = 0, code = 0, type = "node",
                                           target = '{"name":"n1"}', result = json.null })
      assert.are.same({ "created", nil }, { created.status, created.code })
      assert.are.same({ name = "n1" }, created.resource_target)
      assert.is_false(ack.diagnosis_finished({ status = 0, code = 0 }))
      local done = ack.diagnosis_view({ status = 2, code = 0, result = '{"phase":5}' })
      assert.are.same({ "completed", "success", 5 }, { done.status, done.code, done.result.phase })
      local failed = ack.diagnosis_view({ status = 2, code = 1, result = "agent crashed" })
      assert.are.same({ "failed", "agent crashed" }, { failed.code, failed.result })
      assert.is_true(ack.diagnosis_finished({ status = 1, code = 1 }))
      assert.is_true(ack.diagnosis_finished({ status = 2, code = 0 }))
    end)
  end)

  describe("poll", function()
    -- A fake clock that sleep advances.
    local function rig(states, extra)
      local clock, slept, fetched = 0, {}, 0
      local o = {
        clock = function() return clock end,
        sleep = function(s) slept[#slept + 1] = s; clock = clock + s end,
        fetch = function()
          fetched = fetched + 1
          return { state = states[math.min(fetched, #states)] }
        end,
        done = function(obj) return obj.state == "success" end,
        timeout = 30, interval = 5,
      }
      for k, v in pairs(extra or {}) do o[k] = v end
      return o, slept, function() return fetched end
    end

    it("stops as soon as the job is done", function()
      local o, slept = rig({ "running", "running", "success" })
      local obj, outcome, polls = ack.poll(o)
      assert.are.same({ "success", "done", 3 }, { obj.state, outcome, polls })
      assert.are.same({ 5, 5 }, slept)
    end)

    it("times out with the last state, never sleeping past the timeout", function()
      local o, slept = rig({ "running" }, { timeout = 12 })
      local obj, outcome, polls = ack.poll(o)
      assert.are.same({ "running", "timeout", 4 }, { obj.state, outcome, polls })
      assert.are.same({ 5, 5, 2 }, slept)
    end)

    it("stops at once when cancelled, with no further request", function()
      local n = 0
      local o, slept, fetched = rig({ "running" }, { cancelled = function() n = n + 1; return n >= 2 end })
      local _, outcome = ack.poll(o)
      assert.are.equal("cancelled", outcome)
      assert.are.equal(2, fetched())
      assert.are.same({ 5 }, slept)
    end)

    it("follows an interval function and reports progress on every unfinished poll", function()
      local seen = {}
      local o, slept = rig({ "running" }, {
        timeout = 100, interval = ack.task_interval,
        progress = function(elapsed, obj) seen[#seen + 1] = elapsed .. ":" .. obj.state end,
      })
      ack.poll(o)
      assert.are.same({ 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 15, 15, 10 }, slept)
      assert.are.equal("0:running", seen[1])
      assert.are.equal("60:running", seen[13])
    end)

    it("reports progress values that always increase", function()
      local sent = {}
      local report = ack.progress_reporter({ progress = function(p, total, msg) sent[#sent + 1] = { p, total, msg } end }, 30)
      report(0, "a")
      report(0, "b")
      report(5, "c")
      assert.are.equal(0, sent[1][1])
      assert.is_true(sent[2][1] > sent[1][1])
      assert.are.same({ 5, 30, "c" }, sent[3])
    end)
  end)

  describe("query", function()
    it("encodes booleans, integers and arrays as the CS API expects", function()
      local q = ack.query({ release_node = true, drain_node = false, page_size = 10,
                            instance_ids = json.array({ "i-a", "i-b" }), name = "prod" })
      assert.are.same({ release_node = "true", drain_node = "false", page_size = "10",
                        instance_ids = '["i-a","i-b"]', name = "prod" }, q)
    end)
  end)

  describe("tooldef job tools", function()
    local function def(job, annotations)
      return { name = "foo", title = "Foo", description = "Starts a foo job.", toolset = "ack",
               input = { type = "object" }, handler = function() end, job = job, annotations = annotations }
    end

    it("are not write tools, so read-only mode serves them", function()
      local d = def(true, { readOnlyHint = false, destructiveHint = false })
      assert.is_true(tooldef.check(d, "foo"))
      assert.is_false(tooldef.is_write(d))
      assert.is_false(tooldef.is_destructive(d))
      assert.is_true(tooldef.is_write(def(nil, { readOnlyHint = false, destructiveHint = false })))
    end)

    it("must say what they are in their annotations", function()
      local ok, err = tooldef.check(def(true, { readOnlyHint = true }), "foo")
      assert.is_nil(ok)
      assert.truthy(err:find("readOnlyHint = false", 1, true), err)
      assert.is_nil((tooldef.check(def(true, { readOnlyHint = false }), "foo")))
      assert.is_nil((tooldef.check(def("yes", { readOnlyHint = false, destructiveHint = false }), "foo")))
    end)
  end)
end)
