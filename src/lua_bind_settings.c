/* lua_bind_settings.c: the global `settings` table tools read: the server's settings that
 * shape tool behaviour (output budget, redaction, write mode, defaults), so a tool follows
 * --max-output-bytes or --show-secrets without parsing anything itself. A plain table: every
 * sandbox gets its own copy of the base tables, so a tool that writes to it changes only
 * its own view. */
#include "config.h"
#include "lua_bind.h"

#include <lauxlib.h>

static void set_str(lua_State *L, const char *k, const char *v) {
  if (!v) return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

void lbind_push_settings(lua_State *L, const config_t *cfg) {
  lua_newtable(L);
  set_bool(L, "allow_write", cfg->allow_write);
  set_bool(L, "disable_destructive", cfg->disable_destructive);
  set_bool(L, "show_secrets", cfg->show_secrets);
  lua_pushinteger(L, (lua_Integer)cfg->max_output_bytes);
  lua_setfield(L, -2, "max_output_bytes");
  set_str(L, "default_cluster_id", cfg->default_cluster_id);
  set_str(L, "kubeconfig_mode", cfg->kubeconfig_mode);
  set_str(L, "region", cfg->region);
  set_num(L, "api_timeout", cfg->api_timeout);
  set_num(L, "kubectl_timeout", cfg->kubectl_timeout);
  set_num(L, "diagnose_timeout", cfg->diagnose_timeout);
  set_num(L, "diagnose_poll_interval", cfg->diagnose_poll_interval);
  set_num(L, "cache_ttl", cfg->cache_ttl);
}
