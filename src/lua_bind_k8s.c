/* lua_bind_k8s.c: the `kube` module, the Lua face of the Kubernetes bridge. kube.request
 * yields until kube-apiserver answers. A request that could change the cluster passes the
 * write gate first, so no script can write in read-only mode however it builds the request;
 * server-side dry runs and access reviews change nothing and pass. The REST mapping, paging
 * and shaping are Lua's (lua/k8s.lua). */
#include "ack.h"
#include "k8s_bridge.h"
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "lua_host.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

typedef struct kube_op {
  host_op_t op;
  k8s_req_t *req;
} kube_op_t;

static k8s_bridge_t *bridge_of(lua_State *L, host_call_t *c) {
  k8s_bridge_t *b = c ? lua_host_service(lua_host_of(c), HOST_SVC_K8S) : NULL;
  if (!b) lua_host_raise(L, "NoCluster", 0, false, "kube: the Kubernetes bridge is not available in this process");
  return b;
}

static void op_cancel(host_op_t *op) {
  kube_op_t *k = (kube_op_t *)op;
  k8s_bridge_cancel(k->req);
  free(k);
}

static void op_done(void *ud, http_response_t *resp) {
  kube_op_t *k = ud;
  host_call_t *c = k->op.call;
  free(k);
  lbind_wake_http(c, resp);
}

static const char *opt_string(lua_State *L, int idx, const char *key) {
  lua_getfield(L, idx, key);
  const char *v = lua_isnil(L, -1) ? NULL : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the string stays alive in the argument table */
  return v;
}

static void read_where(lua_State *L, int idx, k8s_where_t *w) {
  w->context = opt_string(L, idx, "context");
  w->key = opt_string(L, idx, "key");
}

/* Whether a request can change the cluster. A dry run (dryRun=All) and the self reviews
 * (access, rules, who-am-I) are POSTs that store nothing. */
static bool mutates(const char *method, const char *path, const json_t *query) {
  if (!gate_http_mutates(method)) return false;
  const char *dry = json_string_value(json_object_get(query, "dryRun"));
  if (dry && strcmp(dry, "All") == 0) return false;
  if (strcmp(method, "POST") == 0 &&
      (strstr(path, "/apis/authorization.k8s.io/") == path || strstr(path, "/apis/authentication.k8s.io/") == path)) {
    const char *last = strrchr(path, '/');
    return !(last && (strcmp(last, "/selfsubjectaccessreviews") == 0 || strcmp(last, "/selfsubjectrulesreviews") == 0 ||
                      strcmp(last, "/selfsubjectreviews") == 0));
  }
  return true;
}

/* kube.request{ context=, key=, method="GET", path=, query={}, body=, content_type=,
 * accept=, timeout=, max_bytes= } -> { status, headers, body }. Yields. An HTTP error status
 * is an answer; a failure to get one raises {code = "Timeout"|"ConnectionFailed"|"TLSError"|
 * "TooLarge"|"AuthFailed"|"NoCluster"|"WriteRefused", message}. */
static int l_request(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  host_call_t *c = lua_host_current_call(L, "kube.request");
  k8s_bridge_t *b = bridge_of(L, c);
  k8s_opts_t o = { 0 };
  read_where(L, 1, &o.where);
  o.method = opt_string(L, 1, "method");
  if (!o.method) o.method = "GET";
  o.path = opt_string(L, 1, "path");
  if (!o.path || o.path[0] != '/') return luaL_argerror(L, 1, "path must start with /");
  char err[600];
  json_t *query = NULL;
  lua_getfield(L, 1, "query");
  if (lua_istable(L, -1)) {
    query = ljson_to(L, -1, err, sizeof err);
    if (!query) return luaL_error(L, "kube.request: query: %s", err);
  }
  lua_pop(L, 1);
  const gate_t *gate = lua_host_gate(lua_host_of(c));
  char what[400];
  snprintf(what, sizeof what, "%s %.300s", o.method, o.path);
  if (gate && gate_check(gate, mutates(o.method, o.path, query), what, err, sizeof err) != 0) {
    json_decref(query);
    return lua_host_raise(L, "WriteRefused", 0, false, "%s", err);
  }
  o.query = query;
  lua_getfield(L, 1, "body");
  if (!lua_isnil(L, -1)) o.body = luaL_checklstring(L, -1, &o.body_len);
  lua_pop(L, 1);
  o.content_type = opt_string(L, 1, "content_type");
  o.accept = opt_string(L, 1, "accept");
  lua_getfield(L, 1, "timeout");
  o.timeout = luaL_optnumber(L, -1, 0);
  lua_getfield(L, 1, "max_bytes");
  o.max_bytes = (size_t)luaL_optinteger(L, -1, 0);
  lua_pop(L, 2);
  kube_op_t *k = ack_xcalloc(1, sizeof *k);
  k->op.cancel = op_cancel;
  k->req = k8s_bridge_request(b, &o, op_done, k, err, sizeof err);
  json_decref(query);
  if (!k->req) {
    free(k);
    return lua_host_raise(L, "NoCluster", 0, false, "%s", err);
  }
  lua_host_wait_k(L, c, &k->op, lbind_http_k, (lua_KContext) "kubernetes");
  return 0; /* not reached */
}

/* kube.resolve{context=, key=} -> {name, cluster, user, namespace, server, source}; raises
 * NoCluster with the reason. */
static int l_resolve(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "kube.resolve");
  k8s_bridge_t *b = bridge_of(L, c);
  k8s_where_t w = { 0 };
  if (lua_istable(L, 1)) read_where(L, 1, &w);
  char err[600];
  json_t *r = k8s_bridge_resolve(b, &w, err, sizeof err);
  if (!r) return lua_host_raise(L, "NoCluster", 0, false, "%s", err);
  ljson_push(L, r);
  json_decref(r);
  return 1;
}

/* kube.contexts() -> [{name, cluster, user, namespace, server, current}] of the kubeconfig. */
static int l_contexts(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "kube.contexts");
  k8s_bridge_t *b = bridge_of(L, c);
  char err[600];
  json_t *r = k8s_bridge_contexts(b, err, sizeof err);
  if (!r) return lua_host_raise(L, "NoCluster", 0, false, "%s", err);
  ljson_push(L, r);
  json_decref(r);
  return 1;
}

/* kube.hold{key=, kubeconfig=, expires_at=} keeps a fetched kubeconfig (ACK) in memory for
 * requests with that key; kube.held(key) -> bool; kube.drop(key). */
static int l_hold(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  host_call_t *c = lua_host_current_call(L, "kube.hold");
  k8s_bridge_t *b = bridge_of(L, c);
  const char *key = opt_string(L, 1, "key");
  size_t len = 0;
  lua_getfield(L, 1, "kubeconfig");
  const char *text = luaL_checklstring(L, -1, &len);
  lua_getfield(L, 1, "expires_at");
  double exp = luaL_optnumber(L, -1, 0);
  lua_pop(L, 2);
  if (!key) return luaL_argerror(L, 1, "key is required");
  char err[600];
  if (k8s_bridge_add(b, key, text, len, exp, err, sizeof err) != 0)
    return lua_host_raise(L, "NoCluster", 0, false, "the fetched kubeconfig is not usable: %s", err);
  return 0;
}

static int l_held(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "kube.held");
  lua_pushboolean(L, k8s_bridge_has(bridge_of(L, c), luaL_checkstring(L, 1)));
  return 1;
}

static int l_drop(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "kube.drop");
  k8s_bridge_drop(bridge_of(L, c), luaL_checkstring(L, 1));
  return 0;
}

static const luaL_Reg kube_funcs[] = {
  { "request", l_request }, { "resolve", l_resolve }, { "contexts", l_contexts },
  { "hold", l_hold },       { "held", l_held },       { "drop", l_drop },
  { NULL, NULL },
};

int luaopen_kube(lua_State *L) {
  luaL_newlib(L, kube_funcs);
  return 1;
}
