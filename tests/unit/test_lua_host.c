/* test_lua_host.c: coroutine scheduling, the sandbox and the budgets of tool calls. */
#include "ack.h"
#include "lua_host.h"
#include "test.h"

#include <lauxlib.h>
#include <stdlib.h>

typedef struct outcome {
  int done;
  int order;
  call_outcome_t how;
  char *text;
  int progress_calls;
  double last_progress;
} outcome_t;

static int finished;

static void on_progress(void *ud, double p, double total, const char *msg) {
  (void)total;
  (void)msg;
  outcome_t *o = ud;
  o->progress_calls++;
  o->last_progress = p;
}

static void on_done(void *ud, call_outcome_t how, json_t *result) {
  outcome_t *o = ud;
  o->done = 1;
  o->order = ++finished;
  o->how = how;
  o->text = result ? json_dumps(result, JSON_COMPACT) : NULL;
  json_decref(result);
}

static const host_call_ops_t ops = { on_progress, NULL, NULL, on_done };

typedef struct fixture {
  uv_loop_t loop;
  lua_host_t *host;
  int modules_ref, validate_ref;
} fixture_t;

static void setup(fixture_t *f, long long instructions) {
  char err[256];
  uv_loop_init(&f->loop);
  host_limits_t lim = { 256u << 20, 16u << 20, instructions, NULL };
  f->host = lua_host_new(&f->loop, &lim, err, sizeof err);
  lua_State *L = lua_host_state(f->host);
  lua_newtable(L);
  f->modules_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_loadstring(L, "return function() return true end");
  lua_host_run_loaded(f->host, f->modules_ref, ".");
  f->validate_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  finished = 0;
}

/* Defines a tool from the body of its handler; returns the definition's registry ref. */
static int define(fixture_t *f, const char *handler_body) {
  lua_State *L = lua_host_state(f->host);
  char src[4096];
  snprintf(src, sizeof src, "local state = {} return { state = state, input = {}, handler = function(args, ctx) %s end }",
           handler_body);
  if (luaL_loadstring(L, src) != LUA_OK || lua_host_run_loaded(f->host, f->modules_ref, ".") != 0) {
    fprintf(stderr, "define: %s\n", lua_tostring(L, -1));
    abort();
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

static host_call_t *start(fixture_t *f, int def, outcome_t *o) {
  host_call_opts_t opts = { .tool = "t", .def_ref = def, .validate_ref = f->validate_ref, .timeout = 30, .ops = &ops, .ud = o };
  host_call_t *c = lua_host_call_new(f->host, &opts);
  lua_host_call_run(c);
  return o->done ? NULL : c;
}

static void teardown(fixture_t *f) {
  lua_host_free(f->host);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&f->loop) == 0); /* every handle closed */
}

/* Runs a one-shot tool and returns its result text (caller frees). */
static char *run_one(const char *body) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t o = { 0 };
  start(&f, define(&f, body), &o);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  teardown(&f);
  return o.text;
}

TEST(lua_host_sandbox_hides_os_io_debug) {
  char *t = run_one("local ok, e = pcall(function() return os.execute end) return e");
  CHECK_CONTAINS(t, "undeclared global 'os'");
  free(t);
  t = run_one("return tostring(rawget(_G, 'io')) .. tostring(rawget(_G, 'debug')) .. tostring(string.dump)");
  CHECK_CONTAINS(t, "nilnilnil");
  free(t);
}

TEST(lua_host_refuses_bytecode_and_globals) {
  char *t = run_one("local f, e = load('\\27LuaT\\0') return e");
  CHECK_CONTAINS(t, "binary");
  free(t);
  t = run_one("leak = 1 return 'no'");
  CHECK_CONTAINS(t, "tools may not create globals");
  free(t);
  t = run_one("return tostring(getmetatable(''))");
  CHECK_CONTAINS(t, "false");
  free(t);
}

TEST(lua_host_load_uses_the_sandbox_not_real_globals) {
  char *t = run_one("local f = load('return require ~= nil and string ~= nil') return tostring(f())");
  CHECK_CONTAINS(t, "true");
  free(t);
}

TEST(lua_host_cpu_budget_survives_pcall) {
  char *t = run_one("while true do pcall(function() while true do end end) end");
  CHECK_CONTAINS(t, "CPU budget exceeded");
  CHECK_CONTAINS(t, "\"isError\":true");
  free(t);
}

TEST(lua_host_cpu_budget_in_c_callbacks) {
  char *t = run_one("local t = {3,2,1} table.sort(t, function(a, b) while true do end end)");
  CHECK_CONTAINS(t, "CPU budget exceeded");
  free(t);
}

TEST(lua_host_memory_cap_stops_a_hog) {
  fixture_t f;
  setup(&f, 1000000000LL);
  outcome_t o = { 0 };
  start(&f, define(&f, "local t = {} while true do t[#t+1] = string.rep('x', 4096) .. #t end"), &o);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_CONTAINS(o.text, "memory limit exceeded");
  free(o.text);
  size_t after = lua_host_memory(f.host);
  lua_gc(lua_host_state(f.host), LUA_GCCOLLECT);
  CHECK(lua_host_memory(f.host) <= after);
  teardown(&f);
}

TEST(lua_host_slow_call_does_not_block_fast_one) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t slow = { 0 }, fast = { 0 };
  start(&f, define(&f, "time.sleep(0.05) return 'slow'"), &slow);
  start(&f, define(&f, "time.sleep(0.001) return 'fast'"), &fast);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(fast.order == 1 && slow.order == 2);
  CHECK_CONTAINS(slow.text, "slow");
  free(slow.text);
  free(fast.text);
  teardown(&f);
}

TEST(lua_host_long_computation_is_time_sliced) {
  fixture_t f;
  setup(&f, 3000000000LL);
  outcome_t busy = { 0 }, quick = { 0 };
  start(&f, define(&f, "local n = 0 for i = 1, 3e7 do n = n + i end return n"), &busy);
  start(&f, define(&f, "return 'quick'"), &quick);
  CHECK(quick.done && !busy.done); /* the busy call yielded to the loop before finishing */
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(busy.done && busy.how == CALL_RESULT);
  free(busy.text);
  free(quick.text);
  teardown(&f);
}

TEST(lua_host_cancel_stops_io_and_runs_close) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t o = { 0 };
  int def = define(&f, "local guard <close> = setmetatable({}, { __close = function() state.closed = true end }) "
                       "time.sleep(10) return 'late'");
  host_call_t *c = start(&f, def, &o);
  CHECK(c != NULL);
  lua_host_call_cancel(c, "test", false);
  CHECK(o.done && o.how == CALL_CANCELLED && o.text == NULL);
  lua_State *L = lua_host_state(f.host);
  lua_rawgeti(L, LUA_REGISTRYINDEX, def);
  lua_getfield(L, -1, "state");
  lua_getfield(L, -1, "closed");
  CHECK(lua_toboolean(L, -1));
  lua_pop(L, 3);
  uint64_t t0 = uv_hrtime();
  uv_run(&f.loop, UV_RUN_DEFAULT); /* returns at once: the 10 s timer is gone */
  CHECK(uv_hrtime() - t0 < 1000000000ULL);
  teardown(&f);
}

TEST(lua_host_progress_only_increases) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t o = { 0 };
  start(&f, define(&f, "ctx.progress(1, 3) ctx.progress(1, 3) ctx.progress(0.5) ctx.progress(2, 3, 'two') return 'ok'"), &o);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK(o.progress_calls == 2 && o.last_progress == 2);
  free(o.text);
  teardown(&f);
}

TEST(lua_host_stale_ctx_raises) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t a = { 0 }, b = { 0 };
  int def = define(&f, "if state.ctx then state.ctx.progress(1) return 'reused' end state.ctx = ctx return 'first'");
  start(&f, def, &a);
  start(&f, def, &b);
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_CONTAINS(b.text, "has ended");
  free(a.text);
  free(b.text);
  teardown(&f);
}

TEST(lua_host_timeout_reports_an_error) {
  fixture_t f;
  setup(&f, 1000000);
  outcome_t o = { 0 };
  host_call_opts_t opts = { .tool = "t", .def_ref = define(&f, "time.sleep(5)"), .validate_ref = f.validate_ref,
                            .timeout = 0.02, .ops = &ops, .ud = &o };
  lua_host_call_run(lua_host_call_new(f.host, &opts));
  uv_run(&f.loop, UV_RUN_DEFAULT);
  CHECK_CONTAINS(o.text, "timed out after 0.02 s");
  free(o.text);
  teardown(&f);
}

TEST(lua_host_request_state_is_signed) {
  uv_loop_t loop;
  char err[256];
  uv_loop_init(&loop);
  host_limits_t a_lim = { 64u << 20, 16u << 20, 1000000, "shared-secret" }, b_lim = a_lim, c_lim = a_lim;
  c_lim.state_secret = NULL;
  lua_host_t *a = lua_host_new(&loop, &a_lim, err, sizeof err), *b = lua_host_new(&loop, &b_lim, err, sizeof err),
             *c = lua_host_new(&loop, &c_lim, err, sizeof err);
  json_t *answers = json_pack("{s:{s:s}}", "elicit-1", "action", "accept");
  char *state = lua_host_state_seal(a, answers);
  json_t *back = lua_host_state_open(b, state); /* a replica with the same secret */
  CHECK(back && json_equal(back, answers));
  json_decref(back);
  CHECK(lua_host_state_open(c, state) == NULL); /* a process with its own random key */
  state[0] = state[0] == 'A' ? 'B' : 'A';       /* tampered */
  CHECK(lua_host_state_open(a, state) == NULL);
  free(state);
  json_decref(answers);
  lua_host_free(a);
  lua_host_free(b);
  lua_host_free(c);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

RUN_TESTS(T(lua_host_request_state_is_signed), T(lua_host_sandbox_hides_os_io_debug), T(lua_host_refuses_bytecode_and_globals),
          T(lua_host_load_uses_the_sandbox_not_real_globals), T(lua_host_cpu_budget_survives_pcall),
          T(lua_host_cpu_budget_in_c_callbacks), T(lua_host_memory_cap_stops_a_hog),
          T(lua_host_slow_call_does_not_block_fast_one), T(lua_host_long_computation_is_time_sliced),
          T(lua_host_cancel_stops_io_and_runs_close), T(lua_host_progress_only_increases),
          T(lua_host_stale_ctx_raises), T(lua_host_timeout_reports_an_error))
