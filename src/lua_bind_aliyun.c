/* lua_bind_aliyun.c: the `aliyun` module tools call the Alibaba Cloud OpenAPI with. It turns
 * a Lua table into an aliyun_request_t, yields while the bridge (aliyun_client.c) signs,
 * sends and retries, and resumes with the decoded answer or raises a structured error
 * {code, message, request_id, status, retryable, api, product, attempts}. docs/tools.md has
 * the API; the bridge is the server's (lua_host_service HOST_SVC_ALIYUN). */
#include "ack.h"
#include "aliyun_client.h"
#include "config.h"
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "lua_host.h"

#include <lauxlib.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct api_op {
  host_op_t op;
  aliyun_call_t *call;
  char product[16], api[300]; /* for the error table */
} api_op_t;

typedef struct creds_op {
  host_op_t op;
  aliyun_creds_waiter_t waiter;
} creds_op_t;

/* Request fields are built from the argument table into these; Lua keeps the strings alive. */
typedef struct args {
  aliyun_request_t req;
  aliyun_credential_t cred;
  json_t *query, *headers;
  char *body;
} args_t;

static void args_free(args_t *a) {
  json_decref(a->query);
  json_decref(a->headers);
  free(a->body);
}

static aliyun_t *bridge(lua_State *L, host_call_t *c, const char *what) {
  aliyun_t *a = lua_host_service(lua_host_of(c), HOST_SVC_ALIYUN);
  if (!a) luaL_error(L, "%s: the Alibaba Cloud bridge is not running in this process", what);
  return a;
}

/* [-0, +1] pushes the error table, with the host's error metatable (tostring = message). */
static void push_error(lua_State *L, const char *code, const char *message, const char *request_id, long status,
                       bool retryable, const char *product, const char *api, int attempts) {
  lua_createtable(L, 0, 8);
  lua_pushstring(L, code ? code : "Error");
  lua_setfield(L, -2, "code");
  lua_pushstring(L, message ? message : "");
  lua_setfield(L, -2, "message");
  if (request_id && *request_id) {
    lua_pushstring(L, request_id);
    lua_setfield(L, -2, "request_id");
  }
  if (status) {
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
  }
  lua_pushboolean(L, retryable);
  lua_setfield(L, -2, "retryable");
  if (product) {
    lua_pushstring(L, product);
    lua_setfield(L, -2, "product");
  }
  if (api) {
    lua_pushstring(L, api);
    lua_setfield(L, -2, "api");
  }
  if (attempts) {
    lua_pushinteger(L, attempts);
    lua_setfield(L, -2, "attempts");
  }
  lua_host_mark_error(L);
}

/* ---- arguments ----------------------------------------------------------------------- */

static const char *opt_string(lua_State *L, const char *key) {
  lua_getfield(L, 1, key);
  const char *v = NULL;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s must be a string, got %s", key, luaL_typename(L, -1));
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* the string stays alive in the argument table */
  return v;
}

/* A scalar query value as the wire wants it: integers without ".0", booleans as words. */
static json_t *scalar_text(const json_t *v) {
  char buf[64];
  if (json_is_string(v)) return json_incref((json_t *)v);
  if (json_is_integer(v)) snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
  else if (json_is_boolean(v)) snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
  else return NULL;
  return json_string(buf);
}

/* RPC parameters: arrays flatten to Name.1, Name.2, objects to Name.key (aliyun-signing.md §2). */
static void flatten(json_t *out, const char *prefix, const json_t *v) {
  char key[512];
  if (json_is_array(v)) {
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
      snprintf(key, sizeof key, "%s.%zu", prefix, i + 1);
      flatten(out, key, it);
    }
  } else if (json_is_object(v)) {
    const char *k;
    json_t *it;
    json_object_foreach((json_t *)v, k, it) {
      snprintf(key, sizeof key, "%s.%s", prefix, k);
      flatten(out, key, it);
    }
  } else {
    json_t *t = scalar_text(v);
    if (t) json_object_set_new(out, prefix, t);
  }
}

/* The table at args[key] as name -> text: ROA/SLS put a table value as JSON text, RPC
 * flattens it. *out NULL when absent. Returns 0, or -1 with err. */
static int query_arg(lua_State *L, const char *key, bool rpc, json_t **out_, char *err, size_t errlen) {
  *out_ = NULL;
  lua_getfield(L, 1, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    snprintf(err, errlen, "%s must be a table of name = value", key);
    return -1;
  }
  char why[250];
  json_t *in = ljson_to(L, -1, why, sizeof why);
  lua_pop(L, 1);
  if (!in) {
    snprintf(err, errlen, "%s: %s", key, why);
    return -1;
  }
  if (!json_is_object(in) && !(json_is_array(in) && json_array_size(in) == 0)) {
    json_decref(in);
    snprintf(err, errlen, "%s must be a table of name = value, not a list", key);
    return -1;
  }
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(in, k, v) {
    if (rpc) {
      flatten(out, k, v);
    } else if (json_is_object(v) || json_is_array(v)) {
      char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
      json_object_set_new(out, k, json_string(text));
      free(text);
    } else {
      json_t *t = scalar_text(v);
      if (t) json_object_set_new(out, k, t);
    }
  }
  json_decref(in);
  *out_ = out;
  return 0;
}

static int headers_arg(lua_State *L, json_t **out_, char *err, size_t errlen) {
  *out_ = NULL;
  lua_getfield(L, 1, "headers");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    snprintf(err, errlen, "headers must be a table of name = value");
    return -1;
  }
  json_t *out = json_object();
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING || (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)) {
      json_decref(out);
      lua_pop(L, 3);
      snprintf(err, errlen, "headers must map names to strings");
      return -1;
    }
    char name[128];
    snprintf(name, sizeof name, "%s", lua_tostring(L, -2));
    for (char *p = name; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    json_object_set_new(out, name, json_string(lua_tostring(L, -1)));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  *out_ = out;
  return 0;
}

/* body = string (sent as is) or table (compact JSON). Returns 0, or -1 with err. */
static int body_arg(lua_State *L, args_t *a, char *err, size_t errlen) {
  lua_getfield(L, 1, "body");
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    a->body = ack_xmalloc(n + 1);
    memcpy(a->body, s, n + 1);
    a->req.body = a->body;
    a->req.body_len = n;
  } else if (lua_istable(L, -1)) {
    char why[250];
    json_t *v = ljson_to(L, -1, why, sizeof why);
    if (!v) {
      lua_pop(L, 1);
      snprintf(err, errlen, "body: %s", why);
      return -1;
    }
    a->body = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(v);
    a->req.body = a->body;
    a->req.body_len = strlen(a->body);
  } else if (!lua_isnil(L, -1)) {
    snprintf(err, errlen, "body must be a string or a table, got %s", luaL_typename(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  lua_pop(L, 1);
  return 0;
}

/* Fills a from the argument table. Raises (a Lua error: the tool's bug) on bad types. */
static void read_args(lua_State *L, host_call_t *c, aliyun_style_t style, args_t *a) {
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(a, 0, sizeof *a);
  aliyun_request_t *r = &a->req;
  r->style = style;
  r->product = opt_string(L, "product");
  if (style == ALIYUN_STYLE_SLS) r->product = "sls";
  else if (!r->product && style == ALIYUN_STYLE_ROA) r->product = "cs";
  if (!r->product) luaL_error(L, "product is required (arms, cms, sts)");
  r->action = opt_string(L, "action");
  r->version = opt_string(L, "version");
  r->method = opt_string(L, "method");
  r->path = opt_string(L, "path");
  r->region = opt_string(L, "region");
  r->project = opt_string(L, "project");
  r->content_type = opt_string(L, "content_type");
  lua_getfield(L, 1, "global");
  r->global = lua_toboolean(L, -1);
  lua_getfield(L, 1, "timeout");
  r->timeout = luaL_optnumber(L, -1, 0);
  lua_getfield(L, 1, "retries");
  r->retries = (int)luaL_optinteger(L, -1, -1);
  lua_getfield(L, 1, "max_bytes");
  lua_Integer mb = luaL_optinteger(L, -1, 0);
  r->max_bytes = mb > 0 ? (size_t)mb : 0;
  lua_pop(L, 4);
  /* From here on nothing raises: what is built goes into a, which the caller frees. */
  char err[300] = "";
  if (query_arg(L, style == ALIYUN_STYLE_RPC ? "params" : "query", style == ALIYUN_STYLE_RPC, &a->query, err, sizeof err) ||
      headers_arg(L, &a->headers, err, sizeof err) || (style != ALIYUN_STYLE_RPC && body_arg(L, a, err, sizeof err))) {
    args_free(a);
    luaL_error(L, "%s", err);
  }
  r->query = a->query;
  r->headers = a->headers;
  /* Per-request credentials (HTTP transports, --allow-request-credentials). */
  const json_t *k = lua_host_call_credentials(c);
  if (k) {
    a->cred.access_key_id = (char *)json_string_value(json_object_get(k, "access_key_id"));
    a->cred.access_key_secret = (char *)json_string_value(json_object_get(k, "access_key_secret"));
    a->cred.security_token = (char *)json_string_value(json_object_get(k, "security_token"));
    a->cred.source = "request";
    if (a->cred.access_key_id || a->cred.access_key_secret) r->credentials = &a->cred;
    if (!r->region) r->region = json_string_value(json_object_get(k, "region"));
  }
}

/* ---- calls --------------------------------------------------------------------------- */

static void api_cancel(host_op_t *op) {
  api_op_t *o = (api_op_t *)op;
  aliyun_call_cancel(o->call);
  free(o);
}

/* [-0, +1] the answer: JSON decoded (an empty body is {}), else the text. */
static void push_body(lua_State *L, const aliyun_result_t *r) {
  if (!r->len) {
    lua_newtable(L);
    return;
  }
  json_t *v = json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
  if (v && ljson_depth(v) <= LJSON_MAX_DEPTH) ljson_push(L, v);
  else lua_pushlstring(L, r->body, r->len);
  json_decref(v);
}

static void push_info(lua_State *L, const aliyun_result_t *r) {
  lua_createtable(L, 0, 4);
  if (r->request_id) {
    lua_pushstring(L, r->request_id);
    lua_setfield(L, -2, "request_id");
  }
  lua_pushinteger(L, r->status);
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, r->attempts);
  lua_setfield(L, -2, "attempts");
  if (r->headers) ljson_push(L, r->headers);
  else lua_newtable(L);
  lua_setfield(L, -2, "headers");
}

static void api_done(void *ud, const aliyun_result_t *r) {
  api_op_t *o = ud;
  host_call_t *c = o->op.call;
  lua_State *co = lua_host_call_thread(c);
  if (r->code) {
    push_error(co, r->code, r->message, r->request_id, r->status, r->retryable, o->product, o->api, r->attempts);
    free(o);
    lua_pushboolean(co, 0);
    lua_host_wake(c, 2);
    return;
  }
  free(o);
  push_body(co, r);
  push_info(co, r);
  lua_pushboolean(co, 1);
  lua_host_wake(c, 3);
}

static int api_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(status);
  ACK_UNUSED(kctx);
  bool ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (ok) return 2;
  return lua_error(L); /* the error table */
}

/* What the request is called in errors: its action, or "GET /logstores/x" for SLS. */
static void api_name(const aliyun_request_t *r, char *out, size_t n) {
  if (r->action) snprintf(out, n, "%s", r->action);
  else snprintf(out, n, "%s %s", r->method ? r->method : "GET", r->path ? r->path : "/");
}

static int l_api(lua_State *L, aliyun_style_t style, const char *what) {
  host_call_t *c = lua_host_current_call(L, what);
  aliyun_t *br = bridge(L, c, what);
  args_t a;
  read_args(L, c, style, &a);
  api_op_t *o = ack_xcalloc(1, sizeof *o);
  o->op.cancel = api_cancel;
  snprintf(o->product, sizeof o->product, "%s", a.req.product);
  api_name(&a.req, o->api, sizeof o->api);
  aliyun_result_t out;
  o->call = aliyun_call(br, &a.req, api_done, o, &out);
  args_free(&a);
  if (!o->call) {
    push_error(L, out.code, out.message, NULL, 0, false, o->product, o->api, 0);
    free(o);
    return lua_error(L);
  }
  return lua_host_wait_k(L, c, &o->op, api_k, 0);
}

static int l_roa(lua_State *L) { return l_api(L, ALIYUN_STYLE_ROA, "aliyun.roa"); }
static int l_rpc(lua_State *L) { return l_api(L, ALIYUN_STYLE_RPC, "aliyun.rpc"); }
static int l_sls(lua_State *L) { return l_api(L, ALIYUN_STYLE_SLS, "aliyun.sls"); }

/* ---- credentials --------------------------------------------------------------------- */

static void push_cred(lua_State *L, const aliyun_credential_t *k) {
  char masked[64];
  aliyun_mask_id(k->access_key_id, masked, sizeof masked);
  lua_createtable(L, 0, 4);
  lua_pushstring(L, k->source ? k->source : "unknown");
  lua_setfield(L, -2, "source");
  lua_pushstring(L, masked);
  lua_setfield(L, -2, "access_key_id");
  lua_pushboolean(L, k->security_token != NULL);
  lua_setfield(L, -2, "session");
  /* A key for caches that must not serve one caller's data to another: the masked id can
   * collide, the id itself should not sit in cache keys; its digest is neither. */
  unsigned char md[32];
  char hex[17];
  SHA256((const unsigned char *)k->access_key_id, strlen(k->access_key_id), md);
  for (int i = 0; i < 8; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  lua_pushstring(L, hex);
  lua_setfield(L, -2, "identity");
  if (k->expiration) {
    lua_pushinteger(L, (lua_Integer)k->expiration);
    lua_setfield(L, -2, "expires_at");
  }
}

static void creds_cancel(host_op_t *op) {
  creds_op_t *o = (creds_op_t *)op;
  aliyun_creds_unwait(&o->waiter);
  free(o);
}

static void creds_done(void *ud, const aliyun_credential_t *k, const char *code, const char *message) {
  creds_op_t *o = ud;
  host_call_t *c = o->op.call;
  lua_State *co = lua_host_call_thread(c);
  free(o);
  if (k) push_cred(co, k);
  else push_error(co, code, message, NULL, 0, false, NULL, NULL, 0);
  lua_pushboolean(co, k != NULL);
  lua_host_wake(c, 2);
}

static int creds_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(status);
  ACK_UNUSED(kctx);
  bool ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok ? 1 : lua_error(L);
}

/* aliyun.credentials() -> {source, access_key_id (masked), session, expires_at?}: which
 * credentials calls of this request would use. Raises NoCredentials naming what to set. */
static int l_credentials(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "aliyun.credentials");
  aliyun_t *br = bridge(L, c, "aliyun.credentials");
  const char *id = json_string_value(json_object_get(lua_host_call_credentials(c), "access_key_id"));
  const char *secret = json_string_value(json_object_get(lua_host_call_credentials(c), "access_key_secret"));
  if (!id != !secret) {
    push_error(L, "InvalidCredentials", ALIYUN_HALF_CREDENTIALS, NULL, 0, false, NULL, NULL, 0);
    return lua_error(L);
  }
  if (id) {
    aliyun_credential_t k = { .access_key_id = (char *)id, .source = "request",
                              .security_token = (char *)json_string_value(json_object_get(lua_host_call_credentials(c), "security_token")) };
    push_cred(L, &k);
    return 1;
  }
  creds_op_t *o = ack_xcalloc(1, sizeof *o);
  o->op.cancel = creds_cancel;
  const aliyun_credential_t *k = NULL;
  char err[2600];
  int rc = aliyun_creds_get(aliyun_creds(br), &o->waiter, creds_done, o, &k, err, sizeof err);
  if (rc == 1) return lua_host_wait_k(L, c, &o->op, creds_k, 0);
  free(o);
  if (rc == 0) {
    push_cred(L, k);
    return 1;
  }
  push_error(L, "NoCredentials", err, NULL, 0, false, NULL, NULL, 0);
  return lua_error(L);
}

static const luaL_Reg aliyun_funcs[] = {
  { "roa", l_roa }, { "rpc", l_rpc }, { "sls", l_sls }, { "credentials", l_credentials }, { NULL, NULL },
};

int luaopen_aliyun(lua_State *L) {
  luaL_newlib(L, aliyun_funcs);
  return 1;
}
