/* lua_bind_http.c: the `http` module: http.request{...} sends through the server's HTTP
 * client and yields until the answer. A method that can change state passes the write gate
 * first, so a tool cannot write in read-only mode however it builds its request. */
#include "ack.h"
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "lua_host.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT 30.0
#define DEFAULT_MAX_BYTES (8u << 20)

typedef struct http_op {
  host_op_t op;
  http_req_t *req;
} http_op_t;

static void op_cancel(host_op_t *op) {
  http_op_t *h = (http_op_t *)op;
  http_cancel(h->req);
  free(h);
}

/* The answer: {status, headers, body}, or an error table for the continuation to raise. */
void lbind_wake_http(host_call_t *c, const http_response_t *resp) {
  lua_State *co = lua_host_call_thread(c);
  if (resp->error_code) {
    lua_createtable(co, 0, 3);
    lua_pushstring(co, resp->error_code);
    lua_setfield(co, -2, "code");
    lua_pushstring(co, resp->error);
    lua_setfield(co, -2, "message");
    lua_pushboolean(co, strcmp(resp->error_code, "Timeout") == 0 || strcmp(resp->error_code, "ConnectionFailed") == 0);
    lua_setfield(co, -2, "retryable");
    lua_pushboolean(co, 0);
  } else {
    lua_createtable(co, 0, 3);
    lua_pushinteger(co, resp->status);
    lua_setfield(co, -2, "status");
    ljson_push(co, resp->headers);
    lua_setfield(co, -2, "headers");
    lua_pushlstring(co, resp->body ? resp->body : "", resp->len);
    lua_setfield(co, -2, "body");
    lua_pushboolean(co, 1);
  }
  lua_host_wake(c, 2);
}

/* Continuation: returns the answer, or raises the failure prefixed with the module name
 * (a static string passed as the continuation context). */
int lbind_http_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(status);
  bool ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (ok) return 1;
  lua_getfield(L, -1, "code");
  lua_getfield(L, -2, "message");
  lua_getfield(L, -3, "retryable");
  return lua_host_raise(L, lua_tostring(L, -3), 0, lua_toboolean(L, -1), "%s: %s", (const char *)kctx, lua_tostring(L, -2));
}

static void op_done(void *ud, http_response_t *resp) {
  http_op_t *h = ud;
  host_call_t *c = h->op.call;
  free(h);
  lbind_wake_http(c, resp);
}

static const char *opt_string(lua_State *L, const char *key) {
  lua_getfield(L, 1, key);
  const char *v = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the string stays alive in the argument table */
  return v;
}

/* http.request{ url =, method = "GET", headers = {}, body =, timeout = 30, max_bytes =,
 * ca_file =, insecure = false } -> { status =, headers =, body = }. Yields. A transport
 * failure raises {code = "Timeout"|"ConnectionFailed"|"TLSError"|"TooLarge", ...}; an HTTP
 * error status is an answer, not a failure. */
static int l_request(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  host_call_t *c = lua_host_current_call(L, "http.request");
  const char *url = opt_string(L, "url");
  if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
    return luaL_argerror(L, 1, "url must be an http:// or https:// URL");
  const char *method = opt_string(L, "method");
  if (!method) method = "GET";
  lua_host_t *host = lua_host_of(c);
  const gate_t *gate = lua_host_gate(host);
  char err[512];
  char what[300];
  snprintf(what, sizeof what, "%s %.250s", method, url);
  if (gate && gate_check(gate, gate_http_mutates(method), what, err, sizeof err) != 0)
    return lua_host_raise(L, "WriteRefused", 0, false, "%s", err);
  http_opts_t o = { .method = method, .url = url };
  size_t body_len = 0;
  lua_getfield(L, 1, "body");
  if (!lua_isnil(L, -1)) o.body = luaL_checklstring(L, -1, &body_len);
  lua_pop(L, 1);
  o.body_len = body_len;
  lua_getfield(L, 1, "timeout");
  o.timeout = luaL_optnumber(L, -1, DEFAULT_TIMEOUT);
  lua_getfield(L, 1, "max_bytes");
  o.max_bytes = (size_t)luaL_optinteger(L, -1, DEFAULT_MAX_BYTES);
  lua_getfield(L, 1, "insecure");
  o.insecure = lua_toboolean(L, -1);
  lua_pop(L, 3);
  o.ca_file = opt_string(L, "ca_file");
  json_t *headers = NULL;
  lua_getfield(L, 1, "headers");
  if (lua_istable(L, -1)) {
    headers = ljson_to(L, -1, err, sizeof err);
    if (!headers) return luaL_error(L, "http.request: headers: %s", err);
  }
  lua_pop(L, 1);
  o.headers = headers;
  http_op_t *h = ack_xcalloc(1, sizeof *h);
  h->op.cancel = op_cancel;
  h->req = http_request(lua_host_http(host), &o, op_done, h, err, sizeof err);
  json_decref(headers);
  if (!h->req) {
    free(h);
    return lua_host_raise(L, "ConnectionFailed", 0, false, "http: %s", err);
  }
  lua_host_wait_k(L, c, &h->op, lbind_http_k, (lua_KContext) "http");
  return 0; /* not reached */
}

static const luaL_Reg http_funcs[] = { { "request", l_request }, { NULL, NULL } };

int luaopen_http(lua_State *L) {
  luaL_newlib(L, http_funcs);
  return 1;
}
