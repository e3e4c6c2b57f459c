/* tool_registry.c: tool files -> validated definitions, in generations, with file watching. */
#include "tool_registry.h"

#include "ack.h"
#include "lua_bind_json.h"

#include <lauxlib.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEBOUNCE_MS 100 /* editors write a file in several steps; reload once they settle */

typedef struct generation {
  reg_item_t **tools; /* sorted by name */
  size_t n;
  unsigned number;
} generation_t;

typedef struct watch {
  uv_fs_event_t ev;
  struct watch *next;
} watch_t;

struct registry {
  lua_host_t *host;
  char **dirs;
  char *lua_dir;
  registry_policy_t policy;
  char *toolsets;
  registry_cbs_t cbs;
  generation_t gen;
  json_t *reported;   /* file -> last error reported */
  watch_t *watches;
  uv_timer_t debounce;
  bool debounce_init;
};

/* Upstream ran five sub-services; their names select our toolsets. */
static const struct { const char *alias, *toolset; } toolset_aliases[] = {
  { "ack-cluster", "ack" },
  { "observability-prometheus", "observability" },
  { "observability-sls", "observability" },
  { "audit-log", "observability" },
};

static void tool_unref(lua_State *L, reg_item_t *t) {
  if (!t || --t->refs > 0) return;
  free(t->uri);
  luaL_unref(L, LUA_REGISTRYINDEX, t->def_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, t->validate_ref);
  json_decref(t->descriptor);
  free(t->name);
  free(t->file);
  free(t->toolset);
  free(t);
}

static void generation_clear(lua_State *L, generation_t *g) {
  for (size_t i = 0; i < g->n; i++) tool_unref(L, g->tools[i]);
  free(g->tools);
  g->tools = NULL;
  g->n = 0;
}

/* Items sort by kind, then name: each kind's list is one sorted run. */
static int cmp_item(const reg_item_t *a, reg_kind_t kind, const char *name) {
  if (a->kind != kind) return a->kind < kind ? -1 : 1;
  return strcmp(a->name, name);
}

static int cmp_tool(const void *a, const void *b) {
  const reg_item_t *x = *(reg_item_t *const *)a, *y = *(reg_item_t *const *)b;
  return cmp_item(x, y->kind, y->name);
}

static reg_item_t *gen_find_kind(const generation_t *g, reg_kind_t kind, const char *name) {
  size_t lo = 0, hi = g->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = cmp_item(g->tools[mid], kind, name);
    if (c == 0) return g->tools[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* By file name, whatever its kind: a file's previous version, for a failed reload. */
static reg_item_t *gen_find(const generation_t *g, const char *name) {
  for (reg_kind_t k = REG_TOOL; k <= REG_TEMPLATE; k++) {
    reg_item_t *t = gen_find_kind(g, k, name);
    if (t) return t;
  }
  return NULL;
}

static bool toolset_selected(const registry_t *r, const char *toolset) {
  if (!r->toolsets || strcmp(toolset, "core") == 0) return true;
  size_t n = strlen(toolset);
  for (const char *p = r->toolsets; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    const char *name = p;
    for (size_t i = 0; i < ACK_ARRAY_LEN(toolset_aliases); i++) {
      if (strlen(toolset_aliases[i].alias) == len && strncmp(toolset_aliases[i].alias, p, len) == 0) {
        name = toolset_aliases[i].toolset;
        len = strlen(name);
      }
    }
    if ((len == 3 && strncmp(name, "all", 3) == 0) || (len == n && strncmp(name, toolset, n) == 0)) return true;
    if (!comma) break;
    p = comma + 1;
  }
  return false;
}

/* Why policy hides t, or NULL. Prompts and resources only read. */
static const char *hidden_reason(const registry_t *r, const reg_item_t *t) {
  if (t->kind != REG_TOOL) return NULL;
  if (t->is_write && !r->policy.allow_write)
    return "changes cluster or cloud state and the server is read-only (start it with --allow-write)";
  if (t->destructive && r->policy.disable_destructive) return "is destructive and --disable-destructive is set";
  if (!toolset_selected(r, t->toolset)) return "belongs to a toolset that --toolsets does not select";
  return NULL;
}

/* ---- loading ------------------------------------------------------------------------ */

static void report(registry_t *r, const char *file, const char *msg) {
  json_t *prev = json_object_get(r->reported, file);
  if (prev && strcmp(json_string_value(prev), msg) == 0) return;
  json_object_set_new(r->reported, file, json_string(msg));
  log_error("%s", msg);
  if (r->cbs.error) r->cbs.error(r->cbs.ud, file, msg);
}

/* Reads a boolean field of the table at idx (absent -> def). [-0, +0] */
static bool get_bool(lua_State *L, int idx, const char *key, bool def) {
  lua_getfield(L, idx, key);
  bool v = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Copies string fields of the definition at def_idx into d under their wire names. */
static void copy_strings(lua_State *L, int def_idx, json_t *d, const char *const (*fields)[2], size_t n) {
  for (size_t i = 0; i < n; i++) {
    lua_getfield(L, def_idx, fields[i][0]);
    if (lua_type(L, -1) == LUA_TSTRING) json_object_set_new(d, fields[i][1], json_string(lua_tostring(L, -1)));
    lua_pop(L, 1);
  }
}

/* Converts field `key` of the definition through `lib.to_json` (schemas) or as is. */
static json_t *field_json(lua_State *L, int def_idx, int lib_idx, const char *key, bool schema, char *err, size_t errlen) {
  lua_getfield(L, def_idx, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (schema) {
    lua_getfield(L, lib_idx, "to_json");
    lua_insert(L, -2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
      snprintf(err, errlen, "%s: %s", key, lua_tostring(L, -1));
      lua_pop(L, 1);
      return NULL;
    }
  }
  json_t *j = ljson_to(L, -1, err, errlen);
  lua_pop(L, 1);
  return j;
}

/* Builds the descriptor served by the list of the item's kind from the definition at
 * def_idx. Returns NULL with err set when part of it cannot be expressed in JSON. */
static json_t *descriptor(lua_State *L, reg_kind_t kind, int def_idx, int lib_idx, char *err, size_t errlen) {
  static const char *const common[][2] = { { "name", "name" }, { "title", "title" }, { "description", "description" } };
  static const char *const resource[][2] = { { "uri", "uri" }, { "uri_template", "uriTemplate" }, { "mime_type", "mimeType" } };
  json_t *d = json_object();
  err[0] = '\0';
  copy_strings(L, def_idx, d, common, ACK_ARRAY_LEN(common));
  if (kind == REG_TOOL) {
    json_t *in = field_json(L, def_idx, lib_idx, "input", true, err, errlen);
    json_t *out = field_json(L, def_idx, lib_idx, "output", true, err, errlen);
    json_t *ann = field_json(L, def_idx, lib_idx, "annotations", false, err, errlen);
    if (in) json_object_set_new(d, "inputSchema", in);
    if (out) json_object_set_new(d, "outputSchema", out);
    if (json_is_object(ann)) json_object_set_new(d, "annotations", ann);
    else json_decref(ann);
  } else if (kind == REG_PROMPT) {
    json_t *args = field_json(L, def_idx, lib_idx, "arguments", false, err, errlen);
    json_object_set_new(d, "arguments", json_is_array(args) ? args : json_array());
    if (!json_is_array(args)) json_decref(args);
  } else {
    copy_strings(L, def_idx, d, resource, ACK_ARRAY_LEN(resource));
  }
  if (err[0]) {
    json_decref(d);
    return NULL;
  }
  return d;
}

/* Loads one file into a new tool. On failure returns NULL with the message in err. */
static reg_item_t *load_tool(registry_t *r, const char *path, const char *base, int modules_ref, int lib_idx,
                             int validate_idx, char *err, size_t errlen) {
  lua_State *L = lua_host_state(r->host);
  int top = lua_gettop(L);
  if (lua_host_run_file(r->host, path, modules_ref, r->lua_dir) != 0) {
    snprintf(err, errlen, "%s", lua_tostring(L, -1));
    lua_settop(L, top);
    return NULL;
  }
  int def_idx = lua_gettop(L);
  lua_getfield(L, lib_idx + 1, "check"); /* tooldef.check(def, base, path) */
  lua_pushvalue(L, def_idx);
  lua_pushstring(L, base);
  lua_pushstring(L, path);
  if (lua_pcall(L, 3, 2, 0) != LUA_OK || !lua_toboolean(L, -2)) {
    snprintf(err, errlen, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "invalid tool definition");
    lua_settop(L, top);
    return NULL;
  }
  lua_pop(L, 2);
  lua_getfield(L, lib_idx + 1, "prepare");
  lua_pushvalue(L, def_idx);
  lua_call(L, 1, 0);
  reg_kind_t kind = REG_TOOL;
  lua_getfield(L, def_idx, "kind");
  const char *k = lua_tostring(L, -1);
  if (k && strcmp(k, "prompt") == 0) kind = REG_PROMPT;
  else if (k && strcmp(k, "resource") == 0) kind = REG_RESOURCE;
  lua_pop(L, 1);
  lua_getfield(L, def_idx, "uri_template");
  if (kind == REG_RESOURCE && !lua_isnil(L, -1)) kind = REG_TEMPLATE;
  lua_pop(L, 1);
  json_t *desc = descriptor(L, kind, def_idx, lib_idx, err, errlen);
  if (!desc) {
    lua_settop(L, top);
    return NULL;
  }
  reg_item_t *t = ack_xcalloc(1, sizeof *t);
  t->kind = kind;
  t->name = ack_strdup(base);
  t->file = ack_strdup(path);
  lua_getfield(L, def_idx, "toolset");
  t->toolset = ack_strdup(lua_isstring(L, -1) ? lua_tostring(L, -1) : "core");
  lua_pop(L, 1);
  lua_getfield(L, def_idx, kind == REG_TEMPLATE ? "uri_template" : "uri");
  if (lua_isstring(L, -1)) t->uri = ack_strdup(lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_getfield(L, def_idx, "timeout");
  t->timeout = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
  lua_pop(L, 1);
  lua_getfield(L, def_idx, "annotations");
  bool has_ann = lua_istable(L, -1);
  bool read_only = kind != REG_TOOL || (has_ann && get_bool(L, -1, "readOnlyHint", false));
  lua_getfield(L, def_idx, "job"); /* a job (ack-api.md "J"): served read-only on purpose, see tooldef.lua */
  bool job = lua_toboolean(L, -1);
  lua_pop(L, 1);
  t->is_write = !read_only && !job;
  t->destructive = t->is_write && (!has_ann || get_bool(L, -1, "destructiveHint", true));
  lua_pop(L, 1);
  t->descriptor = desc;
  lua_pushvalue(L, validate_idx);
  t->validate_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, def_idx);
  t->def_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  t->refs = 1;
  lua_settop(L, top);
  return t;
}

static bool ends_with_lua(const char *name) {
  size_t n = strlen(name);
  return n > 4 && strcmp(name + n - 4, ".lua") == 0 && name[0] != '.';
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Adds or replaces t in the growing list (a later directory overrides an earlier one). */
static void gen_put(lua_State *L, reg_item_t ***list, size_t *n, reg_item_t *t) {
  for (size_t i = 0; i < *n; i++) {
    if ((*list)[i]->kind == t->kind && strcmp((*list)[i]->name, t->name) == 0) {
      log_info("tool %s from %s overrides %s", t->name, t->file, (*list)[i]->file);
      tool_unref(L, (*list)[i]);
      (*list)[i] = t;
      return;
    }
  }
  *list = ack_xrealloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = t;
}

/* Serialized visible list, to tell whether a reload changed what clients see. */
static char *visible_signature(registry_t *r, reg_kind_t kind) {
  bool more;
  json_t *all = registry_list(r, kind, 0, (size_t)-1, &more);
  char *s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(all);
  return s;
}

int registry_reload(registry_t *r) {
  lua_State *L = lua_host_state(r->host);
  int top = lua_gettop(L);
  lua_newtable(L);
  int modules_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  static const char lib_src[] = "return require('schema'), require('tooldef')";
  if (luaL_loadbufferx(L, lib_src, sizeof lib_src - 1, "=registry", "t") != LUA_OK ||
      lua_host_run_loaded(r->host, modules_ref, r->lua_dir) != 0) {
    char msg[1024];
    snprintf(msg, sizeof msg, "shared library in %s failed to load, keeping the previous tools: %s", r->lua_dir,
             lua_tostring(L, -1));
    report(r, r->lua_dir, msg);
    luaL_unref(L, LUA_REGISTRYINDEX, modules_ref);
    lua_settop(L, top);
    return ACK_ELUA;
  }
  /* run_loaded keeps one result: fetch both modules from the cache instead. */
  lua_settop(L, top);
  lua_rawgeti(L, LUA_REGISTRYINDEX, modules_ref);
  lua_getfield(L, -1, "schema");
  lua_getfield(L, -2, "tooldef");
  lua_remove(L, -3);
  int lib_idx = lua_gettop(L) - 1; /* schema at lib_idx, tooldef at lib_idx + 1 */
  lua_getfield(L, lib_idx, "validate");
  int validate_idx = lua_gettop(L);
  json_object_del(r->reported, r->lua_dir);

  reg_item_t **list = NULL;
  size_t n = 0;
  int failures = 0;
  for (char **dir = r->dirs; *dir; dir++) {
    DIR *d = opendir(*dir);
    if (!d) {
      char msg[600];
      snprintf(msg, sizeof msg, "tools directory %s cannot be read", *dir);
      report(r, *dir, msg);
      failures++;
      continue;
    }
    char **names = NULL;
    size_t nn = 0;
    for (struct dirent *e; (e = readdir(d));) {
      if (!ends_with_lua(e->d_name)) continue;
      names = ack_xrealloc(names, (nn + 1) * sizeof *names);
      names[nn++] = ack_strdup(e->d_name);
    }
    closedir(d);
    if (nn) qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
      char path[4096], err[1024];
      snprintf(path, sizeof path, "%s/%s", *dir, names[i]);
      char *base = ack_strndup(names[i], strlen(names[i]) - 4);
      reg_item_t *t = load_tool(r, path, base, modules_ref, lib_idx, validate_idx, err, sizeof err);
      if (t) {
        json_object_del(r->reported, path);
        gen_put(L, &list, &n, t);
      } else {
        failures++;
        reg_item_t *old = gen_find(&r->gen, base);
        char msg[1400];
        snprintf(msg, sizeof msg, "%s%s", err, old && strcmp(old->file, path) == 0 ? " (the previous version keeps serving)" : "");
        report(r, path, msg);
        if (old && strcmp(old->file, path) == 0) {
          old->refs++;
          gen_put(L, &list, &n, old);
        }
      }
      free(base);
      free(names[i]);
    }
    free(names);
  }
  lua_settop(L, top);
  luaL_unref(L, LUA_REGISTRYINDEX, modules_ref); /* tools keep the modules they required */

  char *before[REG_TEMPLATE + 1] = { NULL };
  for (reg_kind_t kind = REG_TOOL; kind <= REG_TEMPLATE && r->gen.number; kind++) before[kind] = visible_signature(r, kind);
  generation_clear(L, &r->gen);
  if (n) qsort(list, n, sizeof *list, cmp_tool);
  r->gen.tools = list;
  r->gen.n = n;
  r->gen.number++;
  unsigned changed = 0;
  for (reg_kind_t kind = REG_TOOL; kind <= REG_TEMPLATE; kind++) {
    char *after = visible_signature(r, kind);
    if (before[kind] && strcmp(before[kind], after) != 0) changed |= 1u << (kind == REG_TEMPLATE ? REG_RESOURCE : kind);
    free(before[kind]);
    free(after);
  }
  log_info("loaded %zu tools, prompts and resources (generation %u, %d failed)", n, r->gen.number, failures);
  if (changed && r->cbs.list_changed) r->cbs.list_changed(r->cbs.ud, changed);
  return failures;
}

/* ---- watching ----------------------------------------------------------------------- */

static void free_cb(uv_handle_t *h) { free(h->data); }

static void on_debounce(uv_timer_t *t) {
  registry_t *r = t->data;
  registry_reload(r);
}

static void on_fs_event(uv_fs_event_t *ev, const char *filename, int events, int status) {
  ACK_UNUSED(events);
  registry_t *r = ev->data;
  if (status < 0) {
    log_warn("watching tools: %s", uv_strerror(status));
    return;
  }
  if (filename && !ends_with_lua(filename)) return;
  uv_timer_start(&r->debounce, on_debounce, DEBOUNCE_MS, 0);
}

static int watch_dir(registry_t *r, const char *dir) {
  watch_t *w = ack_xcalloc(1, sizeof *w);
  uv_fs_event_init(lua_host_loop(r->host), &w->ev);
  w->ev.data = r;
  int rc = uv_fs_event_start(&w->ev, on_fs_event, dir, 0);
  if (rc < 0) {
    log_warn("cannot watch %s: %s", dir, uv_strerror(rc));
    w->ev.data = w;
    uv_close((uv_handle_t *)&w->ev, free_cb);
    return rc;
  }
  w->next = r->watches;
  r->watches = w;
  return 0;
}

int registry_watch(registry_t *r) {
  int rc = 0;
  for (char **dir = r->dirs; *dir; dir++)
    if (watch_dir(r, *dir) < 0) rc = -1;
  if (watch_dir(r, r->lua_dir) < 0) rc = -1;
  return rc;
}

/* ---- queries ------------------------------------------------------------------------ */

const reg_item_t *registry_lookup(registry_t *r, reg_kind_t kind, const char *name, const char **why) {
  reg_item_t *t = gen_find_kind(&r->gen, kind, name);
  *why = NULL;
  if (!t) return NULL;
  *why = hidden_reason(r, t);
  return *why ? NULL : t;
}

json_t *registry_match_template(const char *tmpl, const char *uri) {
  json_t *vars = json_object();
  const char *t = tmpl, *u = uri;
  while (*t) {
    if (*t != '{') {
      if (*t++ != *u++) goto fail;
      continue;
    }
    const char *close = strchr(t, '}');
    if (!close) goto fail;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(close - t - 1), t + 1);
    t = close + 1;
    /* The variable runs to the next literal character of the template (or the end). */
    const char *end = *t ? strchr(u, *t) : u + strlen(u);
    const char *slash = strchr(u, '/');
    if (!end || end == u || (slash && slash < end)) goto fail;
    json_object_set_new(vars, name, json_stringn(u, (size_t)(end - u)));
    u = end;
  }
  if (*u) goto fail;
  return vars;
fail:
  json_decref(vars);
  return NULL;
}

const reg_item_t *registry_resource(registry_t *r, const char *uri, json_t **vars) {
  *vars = NULL;
  for (size_t i = 0; i < r->gen.n; i++) {
    reg_item_t *t = r->gen.tools[i];
    if (t->kind == REG_RESOURCE && t->uri && strcmp(t->uri, uri) == 0) return t;
  }
  for (size_t i = 0; i < r->gen.n; i++) {
    reg_item_t *t = r->gen.tools[i];
    if (t->kind == REG_TEMPLATE && t->uri && (*vars = registry_match_template(t->uri, uri))) return t;
  }
  return NULL;
}

const reg_item_t *registry_template(registry_t *r, const char *tmpl) {
  for (size_t i = 0; i < r->gen.n; i++) {
    reg_item_t *t = r->gen.tools[i];
    if (t->kind == REG_TEMPLATE && t->uri && strcmp(t->uri, tmpl) == 0) return t;
  }
  return NULL;
}

json_t *registry_list(registry_t *r, reg_kind_t kind, size_t offset, size_t limit, bool *more) {
  json_t *arr = json_array();
  size_t seen = 0;
  *more = false;
  for (size_t i = 0; i < r->gen.n; i++) {
    if (r->gen.tools[i]->kind != kind || hidden_reason(r, r->gen.tools[i])) continue;
    if (seen++ < offset) continue;
    if (json_array_size(arr) == limit) {
      *more = true;
      break;
    }
    json_array_append(arr, r->gen.tools[i]->descriptor);
  }
  return arr;
}

size_t registry_count(registry_t *r) {
  size_t n = 0;
  for (size_t i = 0; i < r->gen.n; i++) n += r->gen.tools[i]->kind == REG_TOOL && hidden_reason(r, r->gen.tools[i]) == NULL;
  return n;
}

unsigned registry_generation(registry_t *r) { return r->gen.number; }

/* ---- life --------------------------------------------------------------------------- */

registry_t *registry_new(lua_host_t *host, char *const *dirs, const char *lua_dir, const registry_policy_t *policy,
                         const registry_cbs_t *cbs) {
  registry_t *r = ack_xcalloc(1, sizeof *r);
  r->host = host;
  size_t n = 0;
  while (dirs[n]) n++;
  r->dirs = ack_xcalloc(n + 1, sizeof *r->dirs);
  for (size_t i = 0; i < n; i++) r->dirs[i] = ack_strdup(dirs[i]);
  r->lua_dir = ack_strdup(lua_dir);
  r->policy = *policy;
  r->toolsets = policy->toolsets ? ack_strdup(policy->toolsets) : NULL;
  r->policy.toolsets = r->toolsets;
  if (cbs) r->cbs = *cbs;
  r->reported = json_object();
  uv_timer_init(lua_host_loop(host), &r->debounce);
  r->debounce.data = r;
  return r;
}

void registry_free(registry_t *r) {
  if (!r) return;
  generation_clear(lua_host_state(r->host), &r->gen);
  for (watch_t *w = r->watches, *next; w; w = next) {
    next = w->next;
    w->ev.data = w;
    uv_fs_event_stop(&w->ev);
    uv_close((uv_handle_t *)&w->ev, free_cb);
  }
  for (char **d = r->dirs; *d; d++) free(*d);
  free(r->dirs);
  free(r->lua_dir);
  free(r->toolsets);
  json_decref(r->reported);
  /* The registry itself goes with its timer's close callback. */
  r->debounce.data = r;
  uv_close((uv_handle_t *)&r->debounce, free_cb);
}
