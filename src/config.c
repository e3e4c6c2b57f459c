/* config.c: one table of options drives flags, environment, .env, the Lua config file,
 * defaults, validation and --help, so a setting cannot be honoured in one place and
 * ignored in another (an upstream defect). */
#include "config.h"

#include "ack.h"
#include "aliyun_client.h"

#include <lauxlib.h>
#include <lua.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum { OPT_BOOL, OPT_STR, OPT_INT, OPT_DOUBLE, OPT_SIZE, OPT_LLONG, OPT_LIST, OPT_LEVEL } opt_type_t;

typedef struct option_desc {
  const char *flag;        /* long flag without dashes; config-file key is it with '_' for '-' */
  char shortflag;
  opt_type_t type;
  size_t offset;
  const char *env[3];      /* environment names, first wins */
  const char *def;         /* default as text, parsed like any other source */
  double min, max;         /* numeric range (inclusive) when max > min */
  const char *choices;     /* '|' separated allowed values for strings */
  const char *arg;         /* metavariable in --help */
  const char *help;
} option_desc_t;

#define OFF(f) offsetof(config_t, f)

static const option_desc_t options[] = {
  { "transport", 0, OPT_STR, OFF(transport), { "TRANSPORT" }, "stdio", 0, 0,
    "stdio|http|sse|ws|streamable-http", "NAME", "stdio, or the HTTP listener (http, sse, ws, streamable-http all serve one port)" },
  { "host", 0, OPT_STR, OFF(host), { "HOST" }, "127.0.0.1", 0, 0, NULL, "ADDR", "listen address for the HTTP listener" },
  { "port", 0, OPT_INT, OFF(port), { "PORT" }, "8000", 1, 65535, NULL, "N", "listen port for the HTTP listener" },
  { "allowed-origins", 0, OPT_STR, OFF(allowed_origins), { "ALLOWED_ORIGINS" }, NULL, 0, 0, NULL, "LIST", "allowed Origin values (http://localhost:* style wildcards)" },
  { "auth-token", 0, OPT_STR, OFF(auth_token), { "MCP_AUTH_TOKEN" }, NULL, 0, 0, NULL, "TOKEN", "bearer token required on HTTP requests" },
  { "tls-cert", 0, OPT_STR, OFF(tls_cert), { "TLS_CERT" }, NULL, 0, 0, NULL, "FILE", "TLS certificate (PEM) for the HTTP listener" },
  { "tls-key", 0, OPT_STR, OFF(tls_key), { "TLS_KEY" }, NULL, 0, 0, NULL, "FILE", "TLS private key (PEM)" },
  { "allow-request-credentials", 0, OPT_BOOL, OFF(allow_request_credentials), { "ALLOW_REQUEST_CREDENTIALS" }, "false", 0, 0, NULL, NULL, "accept X-Aliyun-* credential headers per HTTP request" },
  { "max-sessions", 0, OPT_INT, OFF(max_sessions), { "MAX_SESSIONS" }, "10000", 1, 1000000, NULL, "N", "HTTP, WebSocket and SSE sessions at once" },
  { "max-inflight", 0, OPT_INT, OFF(max_inflight), { "MAX_INFLIGHT" }, "64", 1, 100000, NULL, "N", "requests in flight per session" },
  { "session-idle-timeout", 0, OPT_DOUBLE, OFF(session_idle), { "SESSION_IDLE_TIMEOUT" }, "1800", 1, 604800, NULL, "SECONDS", "an idle HTTP session expires after this" },
  { "max-header-bytes", 0, OPT_INT, OFF(max_header_bytes), { "MAX_HEADER_BYTES" }, "8192", 1024, 65535, NULL, "N", "largest HTTP request head accepted" },
  { "max-queued-bytes", 0, OPT_SIZE, OFF(max_queued_bytes), { "MAX_QUEUED_BYTES" }, "16777216", 65536, 1073741824.0, NULL, "N", "output queued for a client that does not read before it is dropped" },
  { "tools-dir", 0, OPT_LIST, OFF(tools_dirs), { "TOOLS_DIR" }, NULL, 0, 0, NULL, "DIR", "load tools from DIR (repeatable; later dirs override same-named tools)" },
  { "lua-dir", 0, OPT_STR, OFF(lua_dir), { "LUA_DIR" }, NULL, 0, 0, NULL, "DIR", "shared Lua library that tools require()" },
  { "toolsets", 0, OPT_STR, OFF(toolsets), { "TOOLSETS" }, NULL, 0, 0, NULL, "LIST", "comma list of toolsets to serve (default: all)" },
  { "dev", 0, OPT_BOOL, OFF(dev), { "DEVELOPMENT" }, "false", 0, 0, NULL, NULL, "watch tools and lua/ and reload on change" },
  { "allow-write", 0, OPT_BOOL, OFF(allow_write), { "ALLOW_WRITE" }, "false", 0, 0, NULL, NULL, "serve tools that change cluster or cloud state" },
  { "disable-destructive", 0, OPT_BOOL, OFF(disable_destructive), { "DISABLE_DESTRUCTIVE" }, "false", 0, 0, NULL, NULL, "with --allow-write, still hide destructive tools" },
  { "page-size", 0, OPT_INT, OFF(page_size), { "PAGE_SIZE" }, "100", 1, 10000, NULL, "N", "items per tools/list page" },
  { "max-message-bytes", 0, OPT_SIZE, OFF(max_message_bytes), { "MAX_MESSAGE_BYTES" }, "4194304", 1024, 1073741824.0, NULL, "N", "largest JSON-RPC message accepted" },
  { "lua-memory-mb", 0, OPT_SIZE, OFF(lua_memory_mb), { "LUA_MEMORY_MB" }, "512", 8, 65536, NULL, "N", "memory cap of the whole Lua heap" },
  { "lua-call-memory-mb", 0, OPT_SIZE, OFF(lua_call_memory_mb), { "LUA_CALL_MEMORY_MB" }, "64", 1, 65536, NULL, "N", "memory one tool call may allocate" },
  { "lua-max-instructions", 0, OPT_LLONG, OFF(lua_max_instructions), { "LUA_MAX_INSTRUCTIONS" }, "100000000", 10000, 1e15, NULL, "N", "Lua instructions one tool call may run" },
  { "tool-timeout", 0, OPT_DOUBLE, OFF(tool_timeout), { "TOOL_TIMEOUT" }, "300", 0.001, 86400, NULL, "SECONDS", "wall-clock limit of one tool call (a tool's own timeout wins)" },
  { "shutdown-grace", 0, OPT_DOUBLE, OFF(shutdown_grace), { "SHUTDOWN_GRACE" }, "5", 0, 3600, NULL, "SECONDS", "how long in-flight calls may finish on exit" },
  { "max-output-bytes", 0, OPT_SIZE, OFF(max_output_bytes), { "MAX_OUTPUT_BYTES" }, "32768", 1024, 1073741824.0, NULL, "N", "text budget of one tool result" },
  { "log-level", 0, OPT_LEVEL, OFF(log_level), { "LOG_LEVEL", "FASTMCP_LOG_LEVEL" }, "info", 0, 0, NULL, "LEVEL", "debug|info|notice|warning|error" },
  { "state-secret", 0, OPT_STR, OFF(state_secret), { "MCP_STATE_SECRET" }, NULL, 0, 0, NULL, "SECRET",
    "key for signing multi-round requestState, shared by replicas (default: random per process)" },
  { "audit-log", 0, OPT_STR, OFF(audit_log), { "AUDIT_LOG" }, NULL, 0, 0, NULL, "FILE", "append a JSON line per tool call" },
  { "show-secrets", 0, OPT_BOOL, OFF(show_secrets), { "SHOW_SECRETS" }, "false", 0, 0, NULL, NULL, "turn off redaction of secrets in tool output" },
  { "region", 'r', OPT_STR, OFF(region), { "REGION_ID", "ALIBABA_CLOUD_REGION_ID" }, "cn-hangzhou", 0, 0, NULL, "ID", "default Alibaba Cloud region" },
  { "access-key-id", 0, OPT_STR, OFF(access_key_id), { "ACCESS_KEY_ID" }, NULL, 0, 0, NULL, "ID", "AccessKey id" },
  { "access-key-secret", 0, OPT_STR, OFF(access_key_secret), { "ACCESS_KEY_SECRET" }, NULL, 0, 0, NULL, "SECRET", "AccessKey secret (never logged)" },
  { "default-cluster-id", 0, OPT_STR, OFF(default_cluster_id), { "DEFAULT_CLUSTER_ID" }, NULL, 0, 0, NULL, "ID", "cluster used when a tool gets no cluster_id" },
  { "kubeconfig-mode", 0, OPT_STR, OFF(kubeconfig_mode), { "KUBECONFIG_MODE" }, "ACK_PUBLIC", 0, 0,
    "ACK_PUBLIC|ACK_PRIVATE|LOCAL|INCLUSTER", "MODE", "where cluster credentials come from" },
  { "kubeconfig-path", 0, OPT_STR, OFF(kubeconfig_path), { "KUBECONFIG_PATH" }, "~/.kube/config", 0, 0, NULL, "FILE", "kubeconfig for LOCAL mode" },
  { "endpoint", 0, OPT_LIST, OFF(endpoints), { "ENDPOINTS" }, NULL, 0, 0, NULL, "PRODUCT=URL",
    "override a cloud endpoint: cs, arms, sls, cms, sts, metadata (repeatable; also CS_ENDPOINT, ...)" },
  { "signature", 0, OPT_LIST, OFF(signatures), { "SIGNATURES" }, NULL, 0, 0, NULL, "PRODUCT=SCHEME",
    "signature scheme of a product: cs=roa-sha1, cms=rpc-sha1, sls=sls-sha1|sls4 (repeatable; default acs3, sls-sha256)" },
  { "cache-ttl", 0, OPT_INT, OFF(cache_ttl), { "CACHE_TTL" }, "300", 0, 86400 * 30, NULL, "SECONDS", "cache entry lifetime" },
  { "cache-max-size", 0, OPT_INT, OFF(cache_max_size), { "CACHE_MAX_SIZE" }, "1000", 1, 10000000, NULL, "N", "cache entries kept" },
  { "api-timeout", 0, OPT_DOUBLE, OFF(api_timeout), { "API_TIMEOUT" }, "60", 0.001, 3600, NULL, "SECONDS", "cloud API request timeout" },
  { "kubectl-timeout", 0, OPT_DOUBLE, OFF(kubectl_timeout), { "KUBECTL_TIMEOUT" }, "30", 0.001, 3600, NULL, "SECONDS", "Kubernetes API request timeout" },
  { "diagnose-timeout", 0, OPT_DOUBLE, OFF(diagnose_timeout), { "DIAGNOSE_TIMEOUT" }, "300", 1, 86400, NULL, "SECONDS", "how long a diagnosis or inspection run is waited for" },
  { "diagnose-poll-interval", 0, OPT_DOUBLE, OFF(diagnose_poll_interval), { "DIAGNOSE_POLL_INTERVAL" }, "10", 0.05, 3600, NULL, "SECONDS", "pause between polls of a diagnosis or inspection" },
};

/* Features later parts of the product bring: a setting that needs one is parsed and
 * then refused, so nobody believes a listener or TLS is on when it is not. */
typedef struct feature_gap {
  const char *flag;
  const char *reason;
} feature_gap_t;

static const feature_gap_t missing_features[] = {
  { "audit-log", "the audit log is not in this build yet" },
};


static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static const option_desc_t *find_flag(const char *name, size_t len) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++)
    if (strlen(options[i].flag) == len && strncmp(options[i].flag, name, len) == 0) return &options[i];
  return NULL;
}

static const option_desc_t *find_short(char c) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++)
    if (options[i].shortflag == c) return &options[i];
  return NULL;
}

/* Config-file keys are flag names with '_' for '-': allow_write, tools_dir. */
static const option_desc_t *find_key(const char *key) {
  char name[64];
  size_t n = strlen(key);
  if (n >= sizeof name) return NULL;
  for (size_t i = 0; i <= n; i++) name[i] = key[i] == '_' ? '-' : key[i];
  return find_flag(name, n);
}

static void list_free(char **list) {
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

static void list_append(char ***listp, const char *value) {
  size_t n = 0;
  if (*listp) while ((*listp)[n]) n++;
  *listp = ack_xrealloc(*listp, (n + 2) * sizeof(char *));
  (*listp)[n] = ack_strdup(value);
  (*listp)[n + 1] = NULL;
}

static int parse_bool(const char *v, bool *out) {
  static const char *const yes[] = { "1", "true", "yes", "on" };
  static const char *const no[] = { "0", "false", "no", "off", "" };
  for (size_t i = 0; i < ACK_ARRAY_LEN(yes); i++) if (strcasecmp(v, yes[i]) == 0) { *out = true; return 0; }
  for (size_t i = 0; i < ACK_ARRAY_LEN(no); i++) if (strcasecmp(v, no[i]) == 0) { *out = false; return 0; }
  return ACK_EINVAL;
}

static bool in_choices(const char *choices, const char *v) {
  size_t n = strlen(v);
  for (const char *p = choices; p && *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && strncasecmp(p, v, n) == 0) return true;
    p = bar ? bar + 1 : NULL;
  }
  return false;
}

/* Sets one option from text. `append` is true for the second and later occurrences of a
 * list flag in one source, so a source replaces lower layers but accumulates within itself. */
static int set_value(config_t *cfg, const option_desc_t *o, const char *v, bool append, const char *src,
                     char *err, size_t errlen) {
  char *field = (char *)cfg + o->offset;
  char *end = NULL;
  errno = 0;
  switch (o->type) {
  case OPT_BOOL:
    if (parse_bool(v, (bool *)field) != 0) {
      set_err(err, errlen, "%s: expected true or false, got '%s'", src, v);
      return ACK_EINVAL;
    }
    return 0;
  case OPT_STR:
    if (o->choices && !in_choices(o->choices, v)) {
      set_err(err, errlen, "%s: expected one of %s, got '%s'", src, o->choices, v);
      return ACK_EINVAL;
    }
    free(*(char **)field);
    *(char **)field = ack_strdup(v);
    return 0;
  case OPT_LIST:
    if (!append) {
      list_free(*(char ***)field);
      *(char ***)field = NULL;
    }
    if (*v) list_append((char ***)field, v);
    return 0;
  case OPT_LEVEL:
    if (log_level_parse(v, (log_level_t *)field) != 0) {
      set_err(err, errlen, "%s: expected debug, info, notice, warning or error, got '%s'", src, v);
      return ACK_EINVAL;
    }
    return 0;
  case OPT_INT:
  case OPT_SIZE:
  case OPT_LLONG:
  case OPT_DOUBLE: {
    double d = strtod(v, &end);
    bool integral = o->type != OPT_DOUBLE;
    if (end == v || *end || errno || !isfinite(d) || (integral && d != floor(d))) {
      set_err(err, errlen, "%s: expected %s, got '%s'", src, integral ? "an integer" : "a number", v);
      return ACK_EINVAL;
    }
    if (o->max > o->min && (d < o->min || d > o->max)) {
      set_err(err, errlen, "%s: must be between %g and %g, got '%s'", src, o->min, o->max, v);
      return ACK_EINVAL;
    }
    if (o->type == OPT_INT) *(int *)field = (int)d;
    else if (o->type == OPT_SIZE) *(size_t *)field = (size_t)d;
    else if (o->type == OPT_LLONG) *(long long *)field = (long long)d;
    else *(double *)field = d;
    return 0;
  }
  }
  return ACK_EINVAL;
}

/* Applies a value from an env-like source: list options split on commas there. */
static int set_env_value(config_t *cfg, const option_desc_t *o, const char *v, const char *src, char *err,
                         size_t errlen) {
  if (o->type != OPT_LIST) return set_value(cfg, o, v, false, src, err, errlen);
  char *copy = ack_strdup(v), *save = NULL;
  int rc = set_value(cfg, o, "", false, src, err, errlen);
  for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
    rc = set_value(cfg, o, tok, true, src, err, errlen);
  free(copy);
  return rc;
}

/* ---- Lua config file ---------------------------------------------------------------- */

static void config_hook(lua_State *L, lua_Debug *ar) {
  ACK_UNUSED(ar);
  luaL_error(L, "config file runs too long");
}

/* Stores the Lua value at the top of the stack into option o. [-0, +0] */
static int set_from_lua(config_t *cfg, const option_desc_t *o, lua_State *L, const char *src, char *err,
                        size_t errlen) {
  int t = lua_type(L, -1);
  if (o->type == OPT_LIST && t == LUA_TTABLE) {
    int rc = set_value(cfg, o, "", false, src, err, errlen);
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n && rc == 0; i++) {
      lua_geti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING) {
        set_err(err, errlen, "%s[%lld]: expected a string", src, (long long)i);
        rc = ACK_EINVAL;
      } else {
        rc = set_value(cfg, o, lua_tostring(L, -1), true, src, err, errlen);
      }
      lua_pop(L, 1);
    }
    return rc;
  }
  if (t == LUA_TBOOLEAN) return set_value(cfg, o, lua_toboolean(L, -1) ? "true" : "false", false, src, err, errlen);
  if (t == LUA_TSTRING || t == LUA_TNUMBER) return set_value(cfg, o, lua_tostring(L, -1), false, src, err, errlen);
  set_err(err, errlen, "%s: unsupported value of type %s", src, lua_typename(L, t));
  return ACK_EINVAL;
}

/* Evaluates the config file in an empty environment (no libraries: it is data, not a
 * program) with an instruction budget, and applies the table it returns or the globals it
 * assigned. */
static int load_config_file(config_t *cfg, const char *path, char *err, size_t errlen) {
  lua_State *L = luaL_newstate();
  if (!L) return ACK_ENOMEM;
  int rc = 0;
  lua_newtable(L); /* env */
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    set_err(err, errlen, "--config %s: %s", path, lua_tostring(L, -1));
    rc = ACK_EINVAL;
    goto done;
  }
  lua_pushvalue(L, -2);
  lua_setupvalue(L, -2, 1); /* _ENV of the chunk */
  lua_sethook(L, config_hook, LUA_MASKCOUNT, 1000000);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    set_err(err, errlen, "--config %s: %s", path, lua_tostring(L, -1));
    rc = ACK_EINVAL;
    goto done;
  }
  lua_sethook(L, NULL, 0, 0);
  if (lua_isnil(L, -1)) lua_pop(L, 1);
  else lua_remove(L, -2);
  if (!lua_istable(L, -1)) {
    set_err(err, errlen, "--config %s: must return a table of settings", path);
    rc = ACK_EINVAL;
    goto done;
  }
  lua_pushnil(L);
  while (rc == 0 && lua_next(L, -2)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      set_err(err, errlen, "--config %s: setting names must be strings", path);
      rc = ACK_EINVAL;
    } else {
      const char *key = lua_tostring(L, -2);
      const option_desc_t *o = find_key(key);
      char src[300];
      snprintf(src, sizeof src, "--config %s: %s", path, key);
      if (!o || strcmp(o->flag, "config") == 0) {
        set_err(err, errlen, "--config %s: unknown setting '%s'", path, key);
        rc = ACK_EINVAL;
      } else {
        rc = set_from_lua(cfg, o, L, src, err, errlen);
      }
    }
    lua_pop(L, 1);
  }
done:
  lua_close(L);
  return rc;
}

/* ---- .env ------------------------------------------------------------------------- */

/* Parses KEY=VALUE lines ("export " prefix, # comments, single or double quotes) and applies
 * those naming an option's environment variable that the real environment does not set. */
static int load_dotenv(config_t *cfg, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[4096];
  int rc = 0, lineno = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || *p == '\0') continue;
    if (strncmp(p, "export ", 7) == 0) p += 7;
    char *eq = strchr(p, '=');
    if (!eq) continue;
    char *kend = eq;
    while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t')) kend--;
    *kend = '\0';
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t') v++;
    v[strcspn(v, "\r\n")] = '\0';
    if (*v == '"' || *v == '\'') { /* quoted: up to the closing quote, rest ignored */
      char *close = strchr(v + 1, *v);
      if (close) *close = '\0';
      v++;
    } else {
      char *hash = strstr(v, " #");
      if (hash) *hash = '\0';
      for (size_t n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--) v[n - 1] = '\0';
    }
    for (size_t i = 0; i < ACK_ARRAY_LEN(options) && rc == 0; i++) {
      const option_desc_t *o = &options[i];
      for (int e = 0; e < 3 && o->env[e]; e++) {
        if (strcmp(o->env[e], p) != 0 || getenv(p)) continue;
        char src[128];
        snprintf(src, sizeof src, "%s:%d: %.64s", path, lineno, p);
        rc = set_env_value(cfg, o, v, src, err, errlen);
      }
    }
  }
  fclose(f);
  return rc;
}

/* ---- help ------------------------------------------------------------------------- */

void config_usage(void *fp) {
  FILE *f = fp;
  fprintf(f, "Usage: ack-mcp-server [options]\n\n"
             "MCP server for Alibaba Cloud ACK and any Kubernetes cluster. Tools are Lua files.\n"
             "Precedence: flag > environment > .env > --config file > default.\n\n"
             "Options:\n");
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++) {
    const option_desc_t *o = &options[i];
    char lhs[80];
    int n = o->shortflag ? snprintf(lhs, sizeof lhs, "-%c, --%s", o->shortflag, o->flag)
                         : snprintf(lhs, sizeof lhs, "    --%s", o->flag);
    if (o->arg) snprintf(lhs + n, sizeof lhs - (size_t)n, " %s", o->arg);
    fprintf(f, "  %-36s %s", lhs, o->help);
    if (o->def) fprintf(f, " [%s]", o->def);
    if (o->env[0]) fprintf(f, " (env %s)", o->env[0]);
    fputc('\n', f);
  }
  fprintf(f, "  %-36s %s\n", "    --config FILE", "Lua file returning a table of settings (keys as flags, '_' for '-')");
  fprintf(f, "  %-36s %s\n", "-h, --help", "show this help");
  fprintf(f, "  %-36s %s\n", "-V, --version", "show the version");
}

/* ---- load ------------------------------------------------------------------------- */

static int validate(config_t *cfg, char *err, size_t errlen) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(missing_features); i++) {
    const option_desc_t *o = find_flag(missing_features[i].flag, strlen(missing_features[i].flag));
    const char *field = (const char *)cfg + o->offset;
    bool set = o->type == OPT_BOOL ? *(const bool *)field : *(char *const *)field != NULL;
    if (set) {
      set_err(err, errlen, "--%s: %s", o->flag, missing_features[i].reason);
      return ACK_EINVAL;
    }
  }
  if (!cfg->tls_cert != !cfg->tls_key) {
    set_err(err, errlen, "--tls-cert and --tls-key go together");
    return ACK_EINVAL;
  }
  const char *tls_files[] = { cfg->tls_cert, cfg->tls_key };
  for (size_t i = 0; i < ACK_ARRAY_LEN(tls_files); i++) {
    if (tls_files[i] && access(tls_files[i], R_OK) != 0) {
      set_err(err, errlen, "--%s %s: %s", i ? "tls-key" : "tls-cert", tls_files[i], strerror(errno));
      return ACK_EINVAL;
    }
  }
  if (cfg->lua_call_memory_mb > cfg->lua_memory_mb) {
    set_err(err, errlen, "--lua-call-memory-mb (%zu) must not exceed --lua-memory-mb (%zu)", cfg->lua_call_memory_mb,
            cfg->lua_memory_mb);
    return ACK_EINVAL;
  }
  for (char **e = cfg->endpoints; e && *e; e++) {
    if (!strchr(*e, '=')) {
      set_err(err, errlen, "--endpoint %s: expected PRODUCT=URL", *e);
      return ACK_EINVAL;
    }
  }
  int rc = aliyun_config_check(cfg, err, errlen);
  if (rc) return rc;
  return 0;
}

int config_load(config_t *cfg, int argc, char **argv, char *err, size_t errlen) {
  int rc;
  /* Pass 1: help, version and --config, which decide what the other layers are. */
  const char *config_file = getenv("ACK_MCP_CONFIG");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      config_usage(stdout);
      return CONFIG_EXIT_OK;
    }
    if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
      printf("%s %s\n", ACK_NAME, ACK_VERSION);
      return CONFIG_EXIT_OK;
    }
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config_file = argv[i + 1];
    else if (strncmp(argv[i], "--config=", 9) == 0) config_file = argv[i] + 9;
    if (strcmp(argv[i], "--") == 0) break;
  }
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++) {
    if (!options[i].def) continue;
    if ((rc = set_env_value(cfg, &options[i], options[i].def, options[i].flag, err, errlen)) != 0) return rc;
  }
  if (config_file) {
    cfg->config_file = ack_strdup(config_file);
    if (access(config_file, R_OK) != 0) {
      set_err(err, errlen, "--config %s: %s", config_file, strerror(errno));
      return ACK_EINVAL;
    }
    if ((rc = load_config_file(cfg, config_file, err, errlen)) != 0) return rc;
  }
  if ((rc = load_dotenv(cfg, ".env", err, errlen)) != 0) return rc;
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++) {
    for (int e = 0; e < 3 && options[i].env[e]; e++) {
      const char *v = getenv(options[i].env[e]);
      if (!v) continue;
      if ((rc = set_env_value(cfg, &options[i], v, options[i].env[e], err, errlen)) != 0) return rc;
      break;
    }
  }
  bool seen[ACK_ARRAY_LEN(options)] = { false };
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *value = NULL;
    const option_desc_t *o = NULL;
    char src[96];
    if (strcmp(a, "--config") == 0) { i++; continue; }
    if (strncmp(a, "--config=", 9) == 0) continue;
    if (strncmp(a, "--", 2) == 0 && a[2]) {
      const char *name = a + 2, *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      o = find_flag(name, len);
      if (!o && len > 3 && strncmp(name, "no-", 3) == 0) {
        o = find_flag(name + 3, len - 3);
        if (o && o->type == OPT_BOOL && !eq) value = "false";
        else o = NULL;
      }
      if (!o) {
        set_err(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
        return ACK_EINVAL;
      }
      if (eq) value = eq + 1;
    } else if (a[0] == '-' && a[1] && !a[2]) {
      o = find_short(a[1]);
      if (!o) {
        set_err(err, errlen, "unknown option '%s' (see --help)", a);
        return ACK_EINVAL;
      }
    } else {
      set_err(err, errlen, "unexpected argument '%s' (see --help)", a);
      return ACK_EINVAL;
    }
    if (!value) {
      if (o->type == OPT_BOOL) value = "true";
      else if (i + 1 < argc) value = argv[++i];
      else {
        set_err(err, errlen, "--%s needs a value", o->flag);
        return ACK_EINVAL;
      }
    }
    size_t idx = (size_t)(o - options);
    snprintf(src, sizeof src, "--%s", o->flag);
    if ((rc = set_value(cfg, o, value, seen[idx], src, err, errlen)) != 0) return rc;
    seen[idx] = true;
  }
  return validate(cfg, err, errlen);
}

void config_free(config_t *cfg) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(options); i++) {
    char *field = (char *)cfg + options[i].offset;
    if (options[i].type == OPT_STR) free(*(char **)field);
    else if (options[i].type == OPT_LIST) list_free(*(char ***)field);
  }
  free(cfg->config_file);
  memset(cfg, 0, sizeof *cfg);
}
