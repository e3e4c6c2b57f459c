/* lua_bind_time.c: the `time` module: clocks, and sleep, which yields to the loop. */
#include "ack.h"
#include "lua_bind.h"
#include "lua_host.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sleep_op {
  host_op_t op;
  uv_timer_t timer;
} sleep_op_t;

static void sleep_free(uv_handle_t *h) { free(h->data); }

static void sleep_cancel(host_op_t *op) {
  sleep_op_t *s = (sleep_op_t *)op;
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, sleep_free);
}

static void sleep_done(uv_timer_t *t) {
  sleep_op_t *s = t->data;
  host_call_t *c = s->op.call;
  uv_close((uv_handle_t *)&s->timer, sleep_free);
  lua_host_wake(c, 0);
}

/* time.sleep(seconds): yields; returns nothing. Cancelling the call stops the timer. */
static int l_sleep(lua_State *L) {
  double secs = luaL_checknumber(L, 1);
  luaL_argcheck(L, secs >= 0 && secs <= 86400 && isfinite(secs), 1, "seconds must be in 0..86400");
  host_call_t *c = lua_host_current_call(L, "time.sleep");
  sleep_op_t *s = ack_xcalloc(1, sizeof *s);
  s->op.cancel = sleep_cancel;
  uv_timer_init(lua_host_loop_of(c), &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, sleep_done, (uint64_t)(secs * 1000.0 + 0.5), 0);
  return lua_host_wait(L, c, &s->op);
}

/* time.now() -> seconds since the epoch, with fractions. */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
  return 1;
}

/* time.monotonic() -> seconds on a clock that never jumps, for measuring durations. */
static int l_monotonic(lua_State *L) {
  lua_pushnumber(L, (double)uv_hrtime() / 1e9);
  return 1;
}

/* time.iso([t]) -> "YYYY-MM-DDTHH:MM:SSZ" (UTC) of t or now. */
static int l_iso(lua_State *L) {
  time_t t;
  if (lua_isnoneornil(L, 1)) t = time(NULL);
  else t = (time_t)luaL_checkinteger(L, 1);
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return luaL_argerror(L, 1, "time out of range");
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  lua_pushstring(L, buf);
  return 1;
}

/* time.parse("2024-01-02T03:04:05Z" | "...05.123+08:00") -> epoch seconds (with fractions),
 * or nil, reason. RFC 3339 only: the format Kubernetes and the cloud APIs write. */
static int l_parse(lua_State *L) {
  const char *s = luaL_checkstring(L, 1);
  struct tm tm = { 0 };
  int used = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
      used != 19) {
    lua_pushnil(L);
    lua_pushfstring(L, "not an RFC 3339 time: %s", s);
    return 2;
  }
  const char *p = s + used;
  double frac = 0;
  if (*p == '.') {
    char *end;
    frac = strtod(p, &end);
    p = end;
  }
  long off = 0;
  if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
    off = (strtol(p + 1, NULL, 10) * 60 + strtol(p + 4, NULL, 10)) * 60 * (*p == '-' ? -1 : 1);
  } else if (!((*p == 'Z' || *p == 'z') && !p[1])) {
    lua_pushnil(L);
    lua_pushfstring(L, "not an RFC 3339 time: %s", s);
    return 2;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  lua_pushnumber(L, (double)(timegm(&tm) - off) + frac);
  return 1;
}

static const luaL_Reg time_funcs[] = {
  { "sleep", l_sleep }, { "now", l_now }, { "monotonic", l_monotonic }, { "iso", l_iso }, { "parse", l_parse }, { NULL, NULL }
};

int luaopen_time(lua_State *L) {
  luaL_newlib(L, time_funcs);
  return 1;
}
