/* kubeconfig.c: a kubeconfig (decoded by yaml_codec) resolved into one kube_target_t per
 * context, and the in-cluster service account as one target. Field names and precedence
 * follow client-go's clientcmd: *-data beside a file path is kept as both (the request
 * path prefers the data), relative paths are taken against the file's directory, names
 * defined twice are an error. */
#include "kubeconfig.h"

#include "ack.h"
#include "yaml_codec.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KUBECONFIG_MAX_BYTES (16u << 20)  /* real ones are a few KiB; this is a sanity bound */
#define DEFAULT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct parse {
  const char *base_dir;  /* relative paths resolve against this (never NULL) */
  char *err;
  size_t errlen;
} parse_t;

static bool fail(parse_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(parse_t *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errlen, fmt, ap);
  va_end(ap);
  return false;
}

static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *out = ack_xmalloc(n);
  snprintf(out, n, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
  return out;
}

/* ~ expanded, relative paths made absolute against base_dir (client-go's ResolvePaths). */
static char *resolve_path(const char *path, const char *base_dir) {
  if (path[0] == '~' && (path[1] == '/' || !path[1])) {
    const char *home = getenv("HOME");
    return join_path(home ? home : "/", path[1] ? path + 2 : "");
  }
  if (path[0] == '/') return ack_strdup(path);
  return join_path(base_dir, path);
}

/* Reads a whole (small) file. Returns a NUL-terminated buffer (free()) or NULL with errno. */
static char *read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
    fclose(f);
    errno = EISDIR;
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = ack_xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > max) {
        free(buf);
        fclose(f);
        errno = EFBIG;
        return NULL;
      }
      cap *= 2;
      buf = ack_xrealloc(buf, cap);
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad || n > max) {
    free(buf);
    errno = bad ? EIO : EFBIG;
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* ---- field access ------------------------------------------------------------------- */

/* The text of a scalar (numbers and booleans spelt out, as sigs.k8s.io/yaml does when the
 * Go field is a string), NULL for null or absent. False for a mapping or list. */
static bool text_of(const json_t *v, char **out) {
  char buf[64];
  *out = NULL;
  switch (v ? json_typeof(v) : JSON_NULL) {
  case JSON_NULL: return true;
  case JSON_STRING: *out = ack_strndup(json_string_value(v), json_string_length(v)); return true;
  case JSON_INTEGER: snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v)); break;
  case JSON_REAL: snprintf(buf, sizeof buf, "%.17g", json_real_value(v)); break;
  case JSON_TRUE: snprintf(buf, sizeof buf, "true"); break;
  case JSON_FALSE: snprintf(buf, sizeof buf, "false"); break;
  default: return false;
  }
  *out = ack_strdup(buf);
  return true;
}

/* obj[key] as text (obj may be NULL: every field absent). */
static bool get_text(parse_t *p, const json_t *obj, const char *key, const char *what, char **out) {
  if (text_of(json_object_get(obj, key), out)) return true;
  return fail(p, "%s: %s must be a string", what, key);
}

static bool get_bool(parse_t *p, const json_t *obj, const char *key, const char *what, bool *out) {
  const json_t *v = json_object_get(obj, key);
  *out = false;
  if (!v || json_is_null(v)) return true;
  if (!json_is_boolean(v)) return fail(p, "%s: %s must be true or false", what, key);
  *out = json_is_true(v);
  return true;
}

static bool get_path(parse_t *p, const json_t *obj, const char *key, const char *what, char **out) {
  char *s;
  if (!get_text(p, obj, key, what, &s)) return false;
  *out = s && *s ? resolve_path(s, p->base_dir) : NULL;
  free(s);
  return true;
}

/* A base64 field (Go's StdEncoding; line breaks ignored, missing padding tolerated). */
static bool get_base64(parse_t *p, const json_t *obj, const char *key, const char *what, char **out, size_t *len) {
  char *s;
  *out = NULL;
  *len = 0;
  if (!get_text(p, obj, key, what, &s)) return false;
  if (!s || !*s) {
    free(s);
    return true;
  }
  size_t n = 0;
  for (size_t i = 0; s[i]; i++)
    if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t') s[n++] = s[i];
  s[n] = '\0';
  if (n % 4 == 1 || n > (1u << 28)) {
    free(s);
    return fail(p, "%s: %s is not valid base64", what, key);
  }
  char *padded = ack_xmalloc(n + 4);
  memcpy(padded, s, n);
  while (n % 4) padded[n++] = '=';
  padded[n] = '\0';
  free(s);
  unsigned char *bin = ack_xmalloc(n / 4 * 3 + 1);
  int got = EVP_DecodeBlock(bin, (const unsigned char *)padded, (int)n);
  size_t pad = (padded[n - 1] == '=') + (padded[n - 2] == '='); /* EVP_DecodeBlock counts padding */
  /* EVP_DecodeBlock accepts '=' in the middle; Go does not. */
  bool bad = got < 0 || memchr(padded, '=', n - pad) != NULL;
  free(padded);
  if (bad) {
    free(bin);
    return fail(p, "%s: %s is not valid base64", what, key);
  }
  *len = (size_t)got - pad;
  bin[*len] = '\0';
  *out = (char *)bin;
  return true;
}

/* ---- named lists -------------------------------------------------------------------- */

/* Checks that root[list] is null or a list of {name: ..., inner: {...}} with unique names. */
static bool check_list(parse_t *p, const json_t *root, const char *list, const char *inner) {
  const json_t *a = json_object_get(root, list);
  if (!a || json_is_null(a)) return true;
  if (!json_is_array(a)) return fail(p, "%s must be a list", list);
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *item = json_array_get(a, i);
    const json_t *name = json_object_get(item, "name");
    if (!json_is_object(item)) return fail(p, "%s[%zu] must be a mapping with name and %s", list, i, inner);
    if (!json_is_string(name) || !json_string_length(name)) return fail(p, "%s[%zu] has no name", list, i);
    const json_t *body = json_object_get(item, inner);
    if (body && !json_is_null(body) && !json_is_object(body))
      return fail(p, "%s \"%s\": %s must be a mapping", inner, json_string_value(name), inner);
    for (size_t j = 0; j < i; j++)
      if (json_equal(name, json_object_get(json_array_get(a, j), "name")))
        return fail(p, "%s \"%s\" is defined twice", inner, json_string_value(name));
  }
  return true;
}

/* Whether list has an entry called name; *body is its inner mapping (NULL when empty). */
static bool find_named(const json_t *root, const char *list, const char *inner, const char *name, const json_t **body) {
  const json_t *a = json_object_get(root, list);
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *item = json_array_get(a, i);
    if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0) {
      *body = json_object_get(item, inner);
      return true;
    }
  }
  return false;
}

/* ---- targets ------------------------------------------------------------------------ */

static void exec_free(kube_exec_t *e) {
  if (!e) return;
  free(e->command);
  for (char **a = e->args; a && *a; a++) free(*a);
  free(e->args);
  for (char **a = e->env; a && *a; a++) free(*a);
  free(e->env);
  free(e->api_version);
  free(e->install_hint);
  free(e);
}

static void target_clear(kube_target_t *t) {
  free(t->name);
  free(t->cluster_name);
  free(t->user_name);
  free(t->namespace_);
  free(t->server);
  free(t->tls_server_name);
  free(t->proxy_url);
  free(t->ca_data);
  free(t->ca_file);
  if (t->cert_data) OPENSSL_cleanse(t->cert_data, t->cert_len);
  free(t->cert_data);
  free(t->cert_file);
  if (t->key_data) OPENSSL_cleanse(t->key_data, t->key_len);
  free(t->key_data);
  free(t->key_file);
  if (t->token) OPENSSL_cleanse(t->token, strlen(t->token));
  free(t->token);
  free(t->token_file);
  free(t->username);
  if (t->password) OPENSSL_cleanse(t->password, strlen(t->password));
  free(t->password);
  exec_free(t->exec);
  free(t->auth_provider);
  free(t->broken);
  memset(t, 0, sizeof *t);
}

static bool parse_cluster(parse_t *p, const json_t *c, kube_target_t *t) {
  char what[300];
  snprintf(what, sizeof what, "cluster \"%s\"", t->cluster_name);
  char *server;
  if (!get_text(p, c, "server", what, &server)) return false;
  if (server && *server) {
    size_t n = strlen(server);
    while (n && server[n - 1] == '/') server[--n] = '\0';
    if (!strstr(server, "://")) { /* client-go's DefaultServerURL: a bare host:port is https */
      t->server = ack_xmalloc(n + 9);
      snprintf(t->server, n + 9, "https://%s", server);
      free(server);
    } else {
      t->server = server;
    }
  } else {
    free(server);
  }
  return get_base64(p, c, "certificate-authority-data", what, &t->ca_data, &t->ca_len) &&
         get_path(p, c, "certificate-authority", what, &t->ca_file) &&
         get_bool(p, c, "insecure-skip-tls-verify", what, &t->insecure) &&
         get_text(p, c, "tls-server-name", what, &t->tls_server_name) &&
         get_text(p, c, "proxy-url", what, &t->proxy_url);
}

static bool parse_exec(parse_t *p, const json_t *x, const char *what, kube_exec_t **out) {
  kube_exec_t *e = ack_xcalloc(1, sizeof *e);
  *out = e;
  char *cmd;
  if (!get_text(p, x, "command", what, &cmd)) return false;
  if (!cmd || !*cmd) {
    free(cmd);
    return fail(p, "%s: exec has no command", what);
  }
  /* Bare names are looked up in PATH when run; a relative path with a slash is relative to
   * the kubeconfig, as in client-go. */
  e->command = strchr(cmd, '/') || cmd[0] == '~' ? resolve_path(cmd, p->base_dir) : ack_strdup(cmd);
  free(cmd);
  const json_t *args = json_object_get(x, "args");
  if (args && !json_is_null(args) && !json_is_array(args)) return fail(p, "%s: exec args must be a list", what);
  e->args = ack_xcalloc(json_array_size(args) + 1, sizeof *e->args);
  for (size_t i = 0; i < json_array_size(args); i++) {
    if (!text_of(json_array_get(args, i), &e->args[i]) || !e->args[i])
      return fail(p, "%s: exec args[%zu] must be a string", what, i);
  }
  const json_t *env = json_object_get(x, "env");
  if (env && !json_is_null(env) && !json_is_array(env)) return fail(p, "%s: exec env must be a list", what);
  e->env = ack_xcalloc(json_array_size(env) + 1, sizeof *e->env);
  for (size_t i = 0; i < json_array_size(env); i++) {
    const json_t *kv = json_array_get(env, i);
    char *name = NULL, *value = NULL;
    bool ok = json_is_object(kv) && text_of(json_object_get(kv, "name"), &name) &&
              text_of(json_object_get(kv, "value"), &value) && name && *name && !strchr(name, '=');
    if (!ok) {
      free(name);
      free(value);
      return fail(p, "%s: exec env[%zu] must be {name: NAME, value: VALUE}", what, i);
    }
    size_t n = strlen(name) + (value ? strlen(value) : 0) + 2;
    e->env[i] = ack_xmalloc(n);
    snprintf(e->env[i], n, "%s=%s", name, value ? value : "");
    free(name);
    free(value);
  }
  return get_text(p, x, "apiVersion", what, &e->api_version) &&
         get_bool(p, x, "provideClusterInfo", what, &e->provide_cluster_info) &&
         get_text(p, x, "installHint", what, &e->install_hint);
}

static bool parse_user(parse_t *p, const json_t *u, kube_target_t *t) {
  char what[300];
  snprintf(what, sizeof what, "user \"%s\"", t->user_name);
  if (!get_base64(p, u, "client-certificate-data", what, &t->cert_data, &t->cert_len) ||
      !get_path(p, u, "client-certificate", what, &t->cert_file) ||
      !get_base64(p, u, "client-key-data", what, &t->key_data, &t->key_len) ||
      !get_path(p, u, "client-key", what, &t->key_file) || !get_text(p, u, "token", what, &t->token) ||
      !get_path(p, u, "tokenFile", what, &t->token_file) || !get_text(p, u, "username", what, &t->username) ||
      !get_text(p, u, "password", what, &t->password))
    return false;
  if (t->token && !*t->token) {
    free(t->token);
    t->token = NULL;
  }
  const json_t *x = json_object_get(u, "exec");
  if (x && !json_is_null(x)) {
    if (!json_is_object(x)) return fail(p, "%s: exec must be a mapping", what);
    if (!parse_exec(p, x, what, &t->exec)) return false;
  }
  /* Legacy in-tree providers (gcp, azure, oidc) are gone from client-go too: keep the name
   * so a request can say what to use instead, but the file stays usable. */
  const json_t *ap = json_object_get(u, "auth-provider");
  if (json_is_object(ap)) {
    const char *name = json_string_value(json_object_get(ap, "name"));
    t->auth_provider = ack_strdup(name && *name ? name : "(unnamed)");
  }
  return true;
}

static bool parse_context(parse_t *p, const json_t *root, const json_t *item, kube_target_t *t) {
  t->name = ack_strdup(json_string_value(json_object_get(item, "name")));
  char what[300];
  snprintf(what, sizeof what, "context \"%s\"", t->name);
  const json_t *ctx = json_object_get(item, "context");
  if (!get_text(p, ctx, "cluster", what, &t->cluster_name) || !get_text(p, ctx, "user", what, &t->user_name) ||
      !get_text(p, ctx, "namespace", what, &t->namespace_))
    return false;
  if (t->namespace_ && !*t->namespace_) {
    free(t->namespace_);
    t->namespace_ = NULL;
  }
  /* An empty cluster leaves the target without a server (reported on use); an empty user
   * is anonymous, as in kubectl. A name that is not defined breaks only this context. */
  char why[512];
  if (t->cluster_name && *t->cluster_name) {
    const json_t *c;
    if (!find_named(root, "clusters", "cluster", t->cluster_name, &c)) {
      snprintf(why, sizeof why, "context \"%s\" names cluster \"%s\" which is not defined", t->name, t->cluster_name);
      t->broken = ack_strdup(why);
      return true;
    }
    if (!parse_cluster(p, c, t)) return false;
  }
  if (t->user_name && *t->user_name) {
    const json_t *u;
    if (!find_named(root, "users", "user", t->user_name, &u)) {
      snprintf(why, sizeof why, "context \"%s\" names user \"%s\" which is not defined", t->name, t->user_name);
      t->broken = ack_strdup(why);
      return true;
    }
    if (!parse_user(p, u, t)) return false;
  }
  return true;
}

static kubeconfig_t *parse_root(parse_t *p, const json_t *root) {
  kubeconfig_t *kc = ack_xcalloc(1, sizeof *kc);
  if (json_is_null(root)) return kc; /* an empty file: no contexts, as kubectl sees it */
  if (!json_is_object(root)) {
    fail(p, "not a kubeconfig: the top level is a %s, not a mapping", json_is_array(root) ? "list" : "scalar");
    goto error;
  }
  if (!check_list(p, root, "clusters", "cluster") || !check_list(p, root, "users", "user") ||
      !check_list(p, root, "contexts", "context"))
    goto error;
  char *current;
  if (!get_text(p, root, "current-context", "kubeconfig", &current)) goto error;
  kc->current_context = current && *current ? current : NULL;
  if (!kc->current_context) free(current);
  const json_t *contexts = json_object_get(root, "contexts");
  size_t n = json_array_size(contexts);
  kc->targets = ack_xcalloc(n ? n : 1, sizeof *kc->targets);
  for (size_t i = 0; i < n; i++) {
    kc->ntargets++;
    if (!parse_context(p, root, json_array_get(contexts, i), &kc->targets[i])) goto error;
  }
  return kc;
error:
  kubeconfig_free(kc);
  return NULL;
}

kubeconfig_t *kubeconfig_parse(const char *text, size_t len, const char *base_dir, char *err, size_t errlen) {
  char cwd[4096];
  if (!base_dir) base_dir = getcwd(cwd, sizeof cwd) ? cwd : "/";
  parse_t p = { .base_dir = base_dir, .err = err, .errlen = errlen };
  char yerr[256];
  json_t *root = yaml_decode(text, len, false, yerr, sizeof yerr);
  if (!root) {
    fail(&p, "not YAML: %s", yerr);
    return NULL;
  }
  kubeconfig_t *kc = parse_root(&p, root);
  json_decref(root);
  if (kc) kc->path = ack_strdup("<memory>");
  return kc;
}

kubeconfig_t *kubeconfig_load(const char *path, char *err, size_t errlen) {
  size_t len;
  char *text = read_file(path, KUBECONFIG_MAX_BYTES, &len);
  if (!text) {
    if (errno == ENOENT) snprintf(err, errlen, "not found");
    else if (errno == EFBIG) snprintf(err, errlen, "larger than %u MiB", KUBECONFIG_MAX_BYTES >> 20);
    else snprintf(err, errlen, "%s", strerror(errno));
    return NULL;
  }
  /* The directory as named (symlinks not followed), made absolute: client-go's rule. */
  char cwd[4096], *dir;
  const char *slash = strrchr(path, '/');
  if (path[0] == '/') dir = ack_strndup(path, slash == path ? 1 : (size_t)(slash - path));
  else if (!getcwd(cwd, sizeof cwd)) dir = ack_strdup("/");
  else if (slash) {
    char *rel = ack_strndup(path, (size_t)(slash - path));
    dir = join_path(cwd, rel);
    free(rel);
  } else dir = ack_strdup(cwd);
  kubeconfig_t *kc = kubeconfig_parse(text, len, dir, err, errlen);
  OPENSSL_cleanse(text, len);
  free(text);
  free(dir);
  if (kc) {
    free(kc->path);
    kc->path = ack_strdup(path);
  }
  return kc;
}

kubeconfig_t *kubeconfig_incluster(const char *sa_dir, char *err, size_t errlen) {
  const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) {
    snprintf(err, errlen, "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
    return NULL;
  }
  if (!sa_dir || !*sa_dir) sa_dir = DEFAULT_SA_DIR;
  char *token = join_path(sa_dir, "token");
  if (access(token, R_OK) != 0) {
    snprintf(err, errlen, "not running in a pod: service account token %s: %s", token, strerror(errno));
    free(token);
    return NULL;
  }
  kubeconfig_t *kc = ack_xcalloc(1, sizeof *kc);
  kc->path = ack_strdup(sa_dir);
  kc->current_context = ack_strdup("in-cluster");
  kc->targets = ack_xcalloc(1, sizeof *kc->targets);
  kc->ntargets = 1;
  kube_target_t *t = &kc->targets[0];
  t->name = ack_strdup("in-cluster");
  t->cluster_name = ack_strdup("in-cluster");
  t->user_name = ack_strdup("in-cluster");
  bool v6 = strchr(host, ':') != NULL; /* net.JoinHostPort brackets IPv6 literals */
  size_t n = strlen(host) + strlen(port) + 16;
  t->server = ack_xmalloc(n);
  snprintf(t->server, n, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
  t->token_file = token; /* re-read on every use: projected tokens rotate */
  char *ca = join_path(sa_dir, "ca.crt");
  if (access(ca, R_OK) == 0) t->ca_file = ca; /* client-go goes on without it, so do we */
  else free(ca);
  char *ns_path = join_path(sa_dir, "namespace");
  size_t len;
  char *ns = read_file(ns_path, 4096, &len);
  free(ns_path);
  if (ns) {
    size_t b = 0, e = len;
    while (b < e && (ns[b] == ' ' || ns[b] == '\n' || ns[b] == '\r' || ns[b] == '\t')) b++;
    while (e > b && (ns[e - 1] == ' ' || ns[e - 1] == '\n' || ns[e - 1] == '\r' || ns[e - 1] == '\t')) e--;
    if (e > b) t->namespace_ = ack_strndup(ns + b, e - b);
    free(ns);
  }
  return kc;
}

const kube_target_t *kubeconfig_target(const kubeconfig_t *kc, const char *context) {
  if (!kc) return NULL;
  if (!context) context = kc->current_context;
  if (!context) return NULL;
  for (size_t i = 0; i < kc->ntargets; i++)
    if (strcmp(kc->targets[i].name, context) == 0) return &kc->targets[i];
  return NULL;
}

void kubeconfig_free(kubeconfig_t *kc) {
  if (!kc) return;
  for (size_t i = 0; i < kc->ntargets; i++) target_clear(&kc->targets[i]);
  free(kc->targets);
  free(kc->path);
  free(kc->current_context);
  free(kc);
}
