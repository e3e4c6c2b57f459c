/* aliyun_creds.c: the credential chain of aliyun_creds.h. Building the chain is synchronous
 * (settings, environment, files); the sources that need the network (STS for RRSA and
 * ram_role_arn, the ECS metadata service, a credentials URI) fetch on the event loop, one
 * fetch at a time, with every waiting caller parked on c->waiters. */
#include "aliyun_creds.h"

#include "ack.h"
#include "aliyun_sign.h"
#include "log.h"

#include <jansson.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MARGIN_MAX 300.0         /* refresh at most 5 minutes before expiry ... */
#define MARGIN_SHARE 0.1         /* ... or at 90 % of the lifetime, whichever is later */
#define RETRY_REFRESH_AFTER 10.0 /* a failed background refresh is tried again after this */
#define NEGATIVE_TTL 60.0        /* "nothing found" after probing the metadata service */
#define IMDS_TIMEOUT 2.0         /* the metadata service answers at once or not at all */
#define IMDS_TOKEN_TTL "21600"
#define STS_VERSION "2015-04-01"
#define SESSION_NAME "ack-mcp-server"
#define DURATION "3600"
#define FILE_MAX (1u << 20)

typedef enum { SRC_STATIC, SRC_OIDC, SRC_ASSUME, SRC_ECS, SRC_URI } src_kind_t;

/* One candidate of the chain: what kind of fetch, and its parameters. */
typedef struct src {
  src_kind_t kind;
  const char *name;   /* static label, becomes aliyun_credential_t.source */
  char detail[300];   /* where it came from, for logs and errors (never a secret) */
  aliyun_profile_t p; /* keys, role, token file, ... as the kind needs */
  char *uri;          /* SRC_URI */
} src_t;

struct aliyun_creds {
  uv_loop_t *loop;
  http_client_t *http;
  char *cfg_id, *cfg_secret;
  char *sts_url, *metadata_url;
  double timeout;
  aliyun_credential_t cur;     /* cached; cur.access_key_id NULL when none */
  src_t *winner;               /* the source cur came from, for refreshes */
  /* resolution of the chain (no winner yet) */
  src_t **chain;
  size_t nchain, idx;
  char tried[2048];
  bool probed_metadata;
  double negative_until;
  char negative[3000];
  /* the one fetch in flight */
  bool fetching, background;
  src_t *fsrc;
  http_req_t *req;
  int step;
  char *imds_token, *imds_role;
  char *body;                  /* of the request in flight: curl reads it as it sends */
  double retry_refresh_at;
  aliyun_creds_waiter_t *waiters;
};

static int fetch_begin(aliyun_creds_t *c, src_t *s, bool background, char *err, size_t errlen);

/* ---- small helpers ------------------------------------------------------------------- */

static double now_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void appendf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t n, const char *fmt, ...) {
  size_t len = strlen(buf);
  if (len + 1 >= n) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + len, n - len, fmt, ap);
  va_end(ap);
}

static bool env_true(const char *name) {
  const char *v = getenv(name);
  return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static char *xdup(const char *s) { return s ? ack_strdup(s) : NULL; }

/* Reads a whole small file; NULL with errno set. */
static char *read_small_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = ack_xmalloc(FILE_MAX + 1);
  size_t n = fread(buf, 1, FILE_MAX, f);
  bool big = n == FILE_MAX && fgetc(f) != EOF;
  fclose(f);
  if (big) {
    free(buf);
    errno = EFBIG;
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

static void cred_clear(aliyun_credential_t *k) {
  free(k->access_key_id);
  free(k->access_key_secret);
  free(k->security_token);
  memset(k, 0, sizeof *k);
}

void aliyun_mask_id(const char *id, char *out, size_t outlen) {
  size_t n = id ? strlen(id) : 0, show = n / 4 > 4 ? 4 : n / 4;
  snprintf(out, outlen, "%.*s****%s", (int)show, id ? id : "", id ? id + n - show : "");
}

double aliyun_refresh_margin(const aliyun_credential_t *k) {
  if (!k->expiration) return 0;
  double life = k->obtained && k->expiration > k->obtained ? k->expiration - k->obtained : 3600;
  double m = life * MARGIN_SHARE;
  return m < MARGIN_MAX ? m : MARGIN_MAX;
}

bool aliyun_cred_fresh(const aliyun_credential_t *k, double now) {
  return k->access_key_id && (!k->expiration || now < k->expiration - aliyun_refresh_margin(k));
}

bool aliyun_cred_valid(const aliyun_credential_t *k, double now) {
  return k->access_key_id && (!k->expiration || now < k->expiration);
}

double aliyun_parse_iso8601(const char *s) {
  struct tm tm = { 0 };
  if (!s) return -1;
  const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return -1;
  if (*end == '.')
    for (end++; *end >= '0' && *end <= '9'; end++) {}
  if (*end != 'Z' && strcmp(end, "+00:00") != 0) return -1;
  return (double)timegm(&tm);
}

/* ---- profiles ------------------------------------------------------------------------ */

void aliyun_profile_free(aliyun_profile_t *p) {
  char **fields[] = { &p->type, &p->access_key_id, &p->access_key_secret, &p->security_token, &p->role_arn,
                      &p->role_session_name, &p->policy, &p->external_id, &p->sts_region, &p->role_name,
                      &p->oidc_provider_arn, &p->oidc_token_file };
  for (size_t i = 0; i < ACK_ARRAY_LEN(fields); i++) {
    free(*fields[i]);
    *fields[i] = NULL;
  }
}

static void profile_copy(aliyun_profile_t *dst, const aliyun_profile_t *src) {
  dst->type = xdup(src->type);
  dst->access_key_id = xdup(src->access_key_id);
  dst->access_key_secret = xdup(src->access_key_secret);
  dst->security_token = xdup(src->security_token);
  dst->role_arn = xdup(src->role_arn);
  dst->role_session_name = xdup(src->role_session_name);
  dst->policy = xdup(src->policy);
  dst->external_id = xdup(src->external_id);
  dst->sts_region = xdup(src->sts_region);
  dst->role_name = xdup(src->role_name);
  dst->oidc_provider_arn = xdup(src->oidc_provider_arn);
  dst->oidc_token_file = xdup(src->oidc_token_file);
}

/* Checks that a parsed profile has what its type needs. */
static int profile_check(aliyun_profile_t *p, const char *name, char *err, size_t errlen) {
  static const struct {
    const char *type;
    const char *need[3];
  } kinds[] = {
    { "access_key", { "access_key_id", "access_key_secret" } },
    { "sts", { "access_key_id", "access_key_secret", "security_token" } },
    { "ram_role_arn", { "access_key_id", "access_key_secret", "role_arn" } },
    { "ecs_ram_role", { NULL } },
    { "oidc_role_arn", { "role_arn", "oidc_provider_arn", "oidc_token_file_path" } },
  };
  if (!p->type && p->access_key_id && p->access_key_secret)
    p->type = ack_strdup(p->security_token ? "sts" : "access_key");
  if (!p->type) {
    snprintf(err, errlen, "profile %s has no type", name);
    return ACK_EINVAL;
  }
  for (size_t i = 0; i < ACK_ARRAY_LEN(kinds); i++) {
    if (strcmp(kinds[i].type, p->type) != 0) continue;
    for (int k = 0; k < 3 && kinds[i].need[k]; k++) {
      const char *key = kinds[i].need[k];
      const char *v = strcmp(key, "access_key_id") == 0        ? p->access_key_id
                      : strcmp(key, "access_key_secret") == 0  ? p->access_key_secret
                      : strcmp(key, "security_token") == 0     ? p->security_token
                      : strcmp(key, "role_arn") == 0           ? p->role_arn
                      : strcmp(key, "oidc_provider_arn") == 0  ? p->oidc_provider_arn
                                                               : p->oidc_token_file;
      if (!v || !*v) {
        snprintf(err, errlen, "profile %s (type %s) has no %s", name, p->type, key);
        return ACK_EINVAL;
      }
    }
    return 0;
  }
  snprintf(err, errlen, "profile %s: type %s is not supported (access_key, sts, ram_role_arn, ecs_ram_role and oidc_role_arn are)",
           name, p->type);
  return ACK_EINVAL;
}

static void set_field(char **field, const char *v, size_t n) {
  free(*field);
  *field = ack_strndup(v, n);
}

int aliyun_profile_parse_ini(const char *text, const char *name, aliyun_profile_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  bool in = false, found = false;
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {
    { "type", offsetof(aliyun_profile_t, type) },
    { "access_key_id", offsetof(aliyun_profile_t, access_key_id) },
    { "access_key_secret", offsetof(aliyun_profile_t, access_key_secret) },
    { "security_token", offsetof(aliyun_profile_t, security_token) },
    { "role_arn", offsetof(aliyun_profile_t, role_arn) },
    { "role_session_name", offsetof(aliyun_profile_t, role_session_name) },
    { "policy", offsetof(aliyun_profile_t, policy) },
    { "external_id", offsetof(aliyun_profile_t, external_id) },
    { "sts_region", offsetof(aliyun_profile_t, sts_region) },
    { "role_name", offsetof(aliyun_profile_t, role_name) },
    { "oidc_provider_arn", offsetof(aliyun_profile_t, oidc_provider_arn) },
    { "oidc_token_file_path", offsetof(aliyun_profile_t, oidc_token_file) },
  };
  for (const char *line = text; line && *line;) {
    const char *eol = strchr(line, '\n');
    const char *end = eol ? eol : line + strlen(line);
    const char *p = line;
    line = eol ? eol + 1 : NULL;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) end--;
    if (p == end || *p == '#' || *p == ';') continue;
    if (*p == '[') {
      const char *close = memchr(p, ']', (size_t)(end - p));
      size_t n = close ? (size_t)(close - p - 1) : 0;
      in = close && strlen(name) == n && strncmp(p + 1, name, n) == 0;
      found = found || in;
      continue;
    }
    if (!in) continue;
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq) continue;
    const char *kend = eq, *v = eq + 1;
    while (kend > p && (kend[-1] == ' ' || kend[-1] == '\t')) kend--;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    if (end - v >= 2 && (*v == '"' || *v == '\'') && end[-1] == *v) { v++; end--; }
    for (size_t i = 0; i < ACK_ARRAY_LEN(keys); i++)
      if (strlen(keys[i].key) == (size_t)(kend - p) && strncmp(keys[i].key, p, (size_t)(kend - p)) == 0)
        set_field((char **)((char *)out + keys[i].off), v, (size_t)(end - v));
  }
  if (!found) {
    snprintf(err, errlen, "no profile [%s]", name);
    return ACK_ENOENT;
  }
  int rc = profile_check(out, name, err, errlen);
  if (rc) aliyun_profile_free(out);
  return rc;
}

static void json_field(char **field, const json_t *obj, const char *key) {
  const char *v = json_string_value(json_object_get(obj, key));
  if (v && *v) *field = ack_strdup(v);
}

int aliyun_profile_parse_cli(const char *text, const char *name, aliyun_profile_t *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loads(text, 0, &je);
  if (!json_is_object(root)) {
    snprintf(err, errlen, "not a JSON object (line %d: %s)", je.line, je.text);
    json_decref(root);
    return ACK_EINVAL;
  }
  if (!name) name = json_string_value(json_object_get(root, "current"));
  if (!name) name = "default";
  json_t *prof = NULL, *it;
  size_t i;
  json_array_foreach(json_object_get(root, "profiles"), i, it) {
    const char *n = json_string_value(json_object_get(it, "name"));
    if (n && strcmp(n, name) == 0) prof = it;
  }
  if (!prof) {
    snprintf(err, errlen, "no profile %s", name);
    json_decref(root);
    return ACK_ENOENT;
  }
  static const char *const modes[][2] = {
    { "AK", "access_key" }, { "StsToken", "sts" }, { "RamRoleArn", "ram_role_arn" },
    { "EcsRamRole", "ecs_ram_role" }, { "OIDC", "oidc_role_arn" },
  };
  const char *mode = json_string_value(json_object_get(prof, "mode"));
  for (i = 0; mode && i < ACK_ARRAY_LEN(modes); i++)
    if (strcmp(mode, modes[i][0]) == 0) out->type = ack_strdup(modes[i][1]);
  if (!out->type) {
    snprintf(err, errlen, "profile %s: mode %s is not supported (AK, StsToken, RamRoleArn, EcsRamRole and OIDC are)", name,
             mode ? mode : "(none)");
    json_decref(root);
    return ACK_EINVAL;
  }
  json_field(&out->access_key_id, prof, "access_key_id");
  json_field(&out->access_key_secret, prof, "access_key_secret");
  json_field(&out->security_token, prof, "sts_token");
  json_field(&out->role_arn, prof, "ram_role_arn");
  json_field(&out->role_session_name, prof, "ram_session_name");
  json_field(&out->sts_region, prof, "sts_region");
  json_field(&out->role_name, prof, "ram_role_name");
  json_field(&out->oidc_provider_arn, prof, "oidc_provider_arn");
  json_field(&out->oidc_token_file, prof, "oidc_token_file");
  json_decref(root);
  int rc = profile_check(out, name, err, errlen);
  if (rc) aliyun_profile_free(out);
  return rc;
}

/* ---- the chain ------------------------------------------------------------------------ */

static src_t *src_new(src_kind_t kind, const char *name) {
  src_t *s = ack_xcalloc(1, sizeof *s);
  s->kind = kind;
  s->name = name;
  return s;
}

static void src_free(src_t *s) {
  if (!s) return;
  aliyun_profile_free(&s->p);
  free(s->uri);
  free(s);
}

static void chain_clear(aliyun_creds_t *c) {
  for (size_t i = 0; i < c->nchain; i++)
    if (c->chain[i] != c->winner) src_free(c->chain[i]);
  free(c->chain);
  c->chain = NULL;
  c->nchain = c->idx = 0;
}

static void chain_add(aliyun_creds_t *c, src_t *s) {
  c->chain = ack_xrealloc(c->chain, (c->nchain + 1) * sizeof *c->chain);
  c->chain[c->nchain++] = s;
}

/* A profile (file or CLI) becomes the source its type says. */
static src_t *src_from_profile(const aliyun_profile_t *p, const char *name, const char *detail) {
  src_kind_t kind = strcmp(p->type, "ram_role_arn") == 0    ? SRC_ASSUME
                    : strcmp(p->type, "ecs_ram_role") == 0  ? SRC_ECS
                    : strcmp(p->type, "oidc_role_arn") == 0 ? SRC_OIDC
                                                            : SRC_STATIC;
  src_t *s = src_new(kind, name);
  profile_copy(&s->p, p);
  snprintf(s->detail, sizeof s->detail, "%.220s, type %.60s", detail, p->type);
  return s;
}

/* Tries one profile file; adds a source or a line to tried. */
static void add_profile_file(aliyun_creds_t *c, const char *label, const char *path, bool explicit_path, bool cli) {
  char *text = read_small_file(path);
  if (!text) {
    if (explicit_path || errno != ENOENT) appendf(c->tried, sizeof c->tried, "; %s: %s: %s", label, path, strerror(errno));
    else appendf(c->tried, sizeof c->tried, "; %s: no %s", label, path);
    return;
  }
  const char *name = env_nonempty("ALIBABA_CLOUD_PROFILE");
  aliyun_profile_t p;
  char err[300];
  int rc = cli ? aliyun_profile_parse_cli(text, name, &p, err, sizeof err)
               : aliyun_profile_parse_ini(text, name ? name : "default", &p, err, sizeof err);
  free(text);
  if (rc) {
    appendf(c->tried, sizeof c->tried, "; %s: %s: %s", label, path, err);
    return;
  }
  char detail[300];
  snprintf(detail, sizeof detail, "%s in %s", name ? name : cli ? "current profile" : "profile default", path);
  chain_add(c, src_from_profile(&p, label, detail));
  aliyun_profile_free(&p);
}

/* Builds the candidate list in chain order; what is not configured goes to c->tried. */
static void chain_build(aliyun_creds_t *c) {
  c->tried[0] = '\0';
  c->probed_metadata = false;
  if (c->cfg_id && c->cfg_secret) {
    src_t *s = src_new(SRC_STATIC, "config");
    s->p.access_key_id = ack_strdup(c->cfg_id);
    s->p.access_key_secret = ack_strdup(c->cfg_secret);
    snprintf(s->detail, sizeof s->detail, "--access-key-id/--access-key-secret or ACCESS_KEY_ID/ACCESS_KEY_SECRET");
    chain_add(c, s);
  } else {
    appendf(c->tried, sizeof c->tried, "; config: %s", c->cfg_id     ? "--access-key-id/ACCESS_KEY_ID is set but not the secret"
                                                       : c->cfg_secret ? "--access-key-secret/ACCESS_KEY_SECRET is set but not the id"
                                                                       : "not set");
  }
  const char *id = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_ID"), *secret = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  if (id && secret) {
    src_t *s = src_new(SRC_STATIC, "env");
    s->p.access_key_id = ack_strdup(id);
    s->p.access_key_secret = ack_strdup(secret);
    s->p.security_token = xdup(env_nonempty("ALIBABA_CLOUD_SECURITY_TOKEN"));
    snprintf(s->detail, sizeof s->detail, "ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET%s", s->p.security_token ? "/_SECURITY_TOKEN" : "");
    chain_add(c, s);
  } else {
    appendf(c->tried, sizeof c->tried, "; env: %s", id ? "ALIBABA_CLOUD_ACCESS_KEY_ID is set but not ALIBABA_CLOUD_ACCESS_KEY_SECRET"
                                                : secret ? "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but not ALIBABA_CLOUD_ACCESS_KEY_ID"
                                                         : "ALIBABA_CLOUD_ACCESS_KEY_ID not set");
  }
  const char *role = env_nonempty("ALIBABA_CLOUD_ROLE_ARN"), *provider = env_nonempty("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"),
             *token_file = env_nonempty("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
  if (role && provider && token_file) {
    src_t *s = src_new(SRC_OIDC, "rrsa");
    s->p.role_arn = ack_strdup(role);
    s->p.oidc_provider_arn = ack_strdup(provider);
    s->p.oidc_token_file = ack_strdup(token_file);
    s->p.role_session_name = xdup(env_nonempty("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
    snprintf(s->detail, sizeof s->detail, "RRSA, role %s", role);
    chain_add(c, s);
  } else if (role || provider || token_file) {
    appendf(c->tried, sizeof c->tried, "; rrsa: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE must all be set (%s is not)",
            !role ? "ALIBABA_CLOUD_ROLE_ARN" : !provider ? "ALIBABA_CLOUD_OIDC_PROVIDER_ARN" : "ALIBABA_CLOUD_OIDC_TOKEN_FILE");
  } else {
    appendf(c->tried, sizeof c->tried, "; rrsa: ALIBABA_CLOUD_ROLE_ARN not set");
  }
  const char *home = env_nonempty("HOME");
  char path[1024];
  if (!env_true("ALIBABA_CLOUD_CLI_PROFILE_DISABLED") && home) {
    snprintf(path, sizeof path, "%s/.aliyun/config.json", home);
    add_profile_file(c, "cli_profile", path, false, true);
  }
  const char *file = env_nonempty("ALIBABA_CLOUD_CREDENTIALS_FILE");
  if (file || home) {
    if (!file) snprintf(path, sizeof path, "%s/.alibabacloud/credentials", home);
    add_profile_file(c, "profile", file ? file : path, file != NULL, false);
  }
  const char *uri = env_nonempty("ALIBABA_CLOUD_CREDENTIALS_URI");
  if (uri) {
    src_t *s = src_new(SRC_URI, "credentials_uri");
    s->uri = ack_strdup(uri);
    snprintf(s->detail, sizeof s->detail, "ALIBABA_CLOUD_CREDENTIALS_URI");
    chain_add(c, s);
  }
  if (env_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
    appendf(c->tried, sizeof c->tried, "; ecs_ram_role: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED");
  } else {
    src_t *s = src_new(SRC_ECS, "ecs_ram_role");
    s->p.role_name = xdup(env_nonempty("ALIBABA_CLOUD_ECS_METADATA"));
    snprintf(s->detail, sizeof s->detail, "ECS metadata service %s", c->metadata_url);
    chain_add(c, s);
  }
}

/* ---- waiters and results -------------------------------------------------------------- */

static void waiter_add(aliyun_creds_t *c, aliyun_creds_waiter_t *w, aliyun_creds_cb cb, void *ud) {
  w->cb = cb;
  w->ud = ud;
  w->owner = c;
  w->prev = NULL;
  w->next = c->waiters;
  if (c->waiters) c->waiters->prev = w;
  c->waiters = w;
}

void aliyun_creds_unwait(aliyun_creds_waiter_t *w) {
  if (!w || !w->owner) return;
  if (w->prev) w->prev->next = w->next;
  else w->owner->waiters = w->next;
  if (w->next) w->next->prev = w->prev;
  w->owner = NULL;
  w->prev = w->next = NULL;
}

/* Hands the outcome to every waiter. A callback may call get again (a retry): it sees the
 * new state, and a waiter it adds is not in the list being drained. */
static void notify(aliyun_creds_t *c, const char *code, const char *message) {
  aliyun_creds_waiter_t *list = c->waiters;
  c->waiters = NULL;
  while (list) {
    aliyun_creds_waiter_t *w = list;
    list = w->next;
    w->prev = w->next = NULL;
    w->owner = NULL;
    w->cb(w->ud, code ? NULL : &c->cur, code, message);
  }
}

/* Takes credentials fetched (or read) from s as the current ones. */
static void adopt(aliyun_creds_t *c, src_t *s, const char *id, const char *secret, const char *token, double expiration) {
  bool refresh = c->winner == s;
  cred_clear(&c->cur);
  c->cur.access_key_id = ack_strdup(id);
  c->cur.access_key_secret = ack_strdup(secret);
  c->cur.security_token = token && *token ? ack_strdup(token) : NULL;
  c->cur.expiration = expiration > 0 ? expiration : 0;
  c->cur.obtained = now_wall();
  c->cur.source = s->name;
  log_add_secret(secret);
  log_add_secret(token);
  if (c->winner != s) {
    src_free(c->winner);
    c->winner = s;
  }
  char masked[64];
  aliyun_mask_id(id, masked, sizeof masked);
  log_msg(refresh ? LOG_DEBUG : LOG_INFO, "aliyun: credentials %s %s (%s): AccessKey %s%s", refresh ? "refreshed from" : "from",
          s->name, s->detail, masked, c->cur.expiration ? ", session credentials" : "");
  if (c->cur.expiration)
    log_debug("aliyun: credentials from %s expire in %.0f s", s->name, c->cur.expiration - c->cur.obtained);
}

static void no_credentials(char *err, size_t errlen, const char *tried) {
  snprintf(err, errlen,
           "no Alibaba Cloud credentials: set --access-key-id/--access-key-secret (ACCESS_KEY_ID/ACCESS_KEY_SECRET), "
           "ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, RRSA (ALIBABA_CLOUD_ROLE_ARN, "
           "ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE), a profile in ~/.alibabacloud/credentials, "
           "or run on ECS/ACK with a RAM role (tried: %s)",
           tried[0] == ';' ? tried + 2 : tried);
}

/* Walks the chain from c->idx: static sources answer at once; the first network source
 * starts a fetch. Returns 0 (adopted), 1 (fetch started) or ACK_ENOENT (chain exhausted). */
static int chain_advance(aliyun_creds_t *c) {
  for (; c->idx < c->nchain; c->idx++) {
    src_t *s = c->chain[c->idx];
    if (s->kind == SRC_STATIC) {
      c->chain[c->idx] = NULL; /* the winner is owned by c->winner now */
      adopt(c, s, s->p.access_key_id, s->p.access_key_secret, s->p.security_token, 0);
      if (c->tried[0]) log_debug("aliyun: before %s: %s", s->name, c->tried + 2);
      chain_clear(c);
      return 0;
    }
    char err[600];
    if (fetch_begin(c, s, false, err, sizeof err) == 0) {
      if (s->kind == SRC_ECS) c->probed_metadata = true;
      return 1;
    }
    appendf(c->tried, sizeof c->tried, "; %s: %s", s->name, err);
    log_warn("aliyun: credentials from %s (%s) failed: %s", s->name, s->detail, err);
  }
  chain_clear(c);
  return ACK_ENOENT;
}

/* The fetch of c->fsrc ended: err NULL means adopted. */
static void fetch_end(aliyun_creds_t *c, const char *err) {
  src_t *s = c->fsrc;
  c->fetching = false;
  c->req = NULL;
  free(c->imds_token);
  free(c->imds_role);
  free(c->body);
  c->imds_token = c->imds_role = c->body = NULL;
  c->fsrc = NULL;
  if (!err) {
    if (c->chain) { /* resolving: s wins; the rest of the chain goes */
      for (size_t i = 0; i < c->nchain; i++)
        if (c->chain[i] == s) c->chain[i] = NULL;
      chain_clear(c);
    }
    notify(c, NULL, NULL);
    return;
  }
  if (c->chain) { /* resolving: note why, try the next source */
    appendf(c->tried, sizeof c->tried, "; %s: %s", s->name, err);
    log_warn("aliyun: credentials from %s (%s) failed: %s", s->name, s->detail, err);
    c->idx++;
    int rc = chain_advance(c);
    if (rc == 1) return;
    if (rc == 0) {
      notify(c, NULL, NULL);
      return;
    }
    char msg[3000];
    no_credentials(msg, sizeof msg, c->tried);
    if (c->probed_metadata) {
      c->negative_until = now_wall() + NEGATIVE_TTL;
      snprintf(c->negative, sizeof c->negative, "%s", msg);
    }
    notify(c, "NoCredentials", msg);
    return;
  }
  /* A refresh of the winner failed. */
  char msg[1200];
  snprintf(msg, sizeof msg, "refreshing the credentials from %s (%s) failed: %s", s->name, s->detail, err);
  c->retry_refresh_at = now_wall() + RETRY_REFRESH_AFTER;
  if (c->background && aliyun_cred_valid(&c->cur, now_wall())) {
    log_warn("aliyun: %s; the current ones stay in use until they expire", msg);
    return;
  }
  log_warn("aliyun: %s", msg);
  notify(c, "CredentialsUnavailable", msg);
}

/* ---- fetches -------------------------------------------------------------------------- */

static void http_done(void *ud, http_response_t *resp);

static int send_req(aliyun_creds_t *c, const char *method, const char *url, json_t *headers, const char *body, double timeout,
                char *err, size_t errlen) {
  http_opts_t o = { .method = method, .url = url, .headers = headers, .body = body, .body_len = body ? strlen(body) : 0,
                    .timeout = timeout, .max_bytes = 1u << 20 };
  c->req = http_request(c->http, &o, http_done, c, err, errlen);
  return c->req ? 0 : ACK_EIO;
}

/* host[:port] of a base URL. */
static void url_host(const char *url, char *out, size_t n) {
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  size_t len = strcspn(p, "/?#");
  snprintf(out, n, "%.*s", (int)len, p);
}

static char *sts_base(aliyun_creds_t *c, const src_t *s) {
  char buf[300];
  /* A profile's sts_region picks the regional STS, unless STS was pointed elsewhere. */
  if (s->p.sts_region && strcmp(c->sts_url, "https://sts.aliyuncs.com") == 0) {
    snprintf(buf, sizeof buf, "https://sts.%s.aliyuncs.com", s->p.sts_region);
    return ack_strdup(buf);
  }
  return ack_strdup(c->sts_url);
}

static int start_oidc(aliyun_creds_t *c, const src_t *s, char *err, size_t errlen) {
  char *token = read_small_file(s->p.oidc_token_file);
  if (!token) {
    snprintf(err, errlen, "cannot read the OIDC token file %s: %s", s->p.oidc_token_file, strerror(errno));
    return ACK_EIO;
  }
  token[strcspn(token, "\r\n")] = '\0';
  char stamp[32];
  time_t t = time(NULL);
  struct tm tm;
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  json_t *q = json_pack("{s:s,s:s,s:s,s:s}", "Action", "AssumeRoleWithOIDC", "Format", "JSON", "Version", STS_VERSION,
                        "Timestamp", stamp);
  json_t *form = json_pack("{s:s,s:s,s:s,s:s,s:s}", "OIDCProviderArn", s->p.oidc_provider_arn, "OIDCToken", token, "RoleArn",
                           s->p.role_arn, "RoleSessionName", s->p.role_session_name ? s->p.role_session_name : SESSION_NAME,
                           "DurationSeconds", DURATION);
  if (s->p.policy) json_object_set_new(form, "Policy", json_string(s->p.policy));
  free(token);
  char *qs = aliyun_query_string(q), *body = aliyun_query_string(form), *base = sts_base(c, s);
  char url[2048];
  snprintf(url, sizeof url, "%s/?%s", base, qs);
  json_t *headers = json_pack("{s:s,s:s}", "content-type", "application/x-www-form-urlencoded", "accept", "application/json");
  free(c->body);
  c->body = body;
  int rc = send_req(c, "POST", url, headers, body, c->timeout, err, errlen);
  json_decref(headers);
  json_decref(q);
  json_decref(form);
  free(qs);
  free(base);
  return rc;
}

static int start_assume(aliyun_creds_t *c, const src_t *s, char *err, size_t errlen) {
  char *base = sts_base(c, s);
  char host[256];
  url_host(base, host, sizeof host);
  json_t *q = json_pack("{s:s,s:s,s:s}", "RoleArn", s->p.role_arn, "RoleSessionName",
                        s->p.role_session_name ? s->p.role_session_name : SESSION_NAME, "DurationSeconds", DURATION);
  if (s->p.policy) json_object_set_new(q, "Policy", json_string(s->p.policy));
  if (s->p.external_id) json_object_set_new(q, "ExternalId", json_string(s->p.external_id));
  json_t *headers = json_object();
  aliyun_cred_t cred = { s->p.access_key_id, s->p.access_key_secret, s->p.security_token };
  aliyun_sign_req_t sr = { .method = "POST", .host = host, .path = "/", .query = q, .headers = headers,
                           .action = "AssumeRole", .version = STS_VERSION };
  int rc = aliyun_sign(ALIYUN_ACS3, &cred, &sr, err, errlen);
  if (rc == 0) {
    char *qs = aliyun_query_string(q);
    char url[2048];
    snprintf(url, sizeof url, "%s/?%s", base, qs);
    free(qs);
    rc = send_req(c, "POST", url, headers, NULL, c->timeout, err, errlen);
  }
  json_decref(q);
  json_decref(headers);
  free(base);
  return rc;
}

/* The metadata service, one step at a time: token, role name (unless given), credentials. */
static int ecs_step(aliyun_creds_t *c, char *err, size_t errlen) {
  char url[1024];
  json_t *headers = json_object();
  int rc;
  if (c->step == 0) {
    snprintf(url, sizeof url, "%s/latest/api/token", c->metadata_url);
    json_object_set_new(headers, "x-aliyun-ecs-metadata-token-ttl-seconds", json_string(IMDS_TOKEN_TTL));
    rc = send_req(c, "PUT", url, headers, NULL, IMDS_TIMEOUT, err, errlen);
  } else {
    if (c->imds_token) json_object_set_new(headers, "x-aliyun-ecs-metadata-token", json_string(c->imds_token));
    if (c->step == 1) snprintf(url, sizeof url, "%s/latest/meta-data/ram/security-credentials/", c->metadata_url);
    else snprintf(url, sizeof url, "%s/latest/meta-data/ram/security-credentials/%s", c->metadata_url, c->imds_role);
    rc = send_req(c, "GET", url, headers, NULL, IMDS_TIMEOUT, err, errlen);
  }
  json_decref(headers);
  return rc;
}

/* Starts fetching from s. Returns 0 (the answer comes to fetch_end), or an error in err when
 * nothing could be sent (then nothing else happened). */
static int fetch_begin(aliyun_creds_t *c, src_t *s, bool background, char *err, size_t errlen) {
  int rc;
  c->fsrc = s;
  c->background = background;
  c->step = 0;
  log_debug("aliyun: fetching credentials from %s (%s)", s->name, s->detail);
  switch (s->kind) {
  case SRC_OIDC: rc = start_oidc(c, s, err, errlen); break;
  case SRC_ASSUME: rc = start_assume(c, s, err, errlen); break;
  case SRC_ECS:
    c->imds_role = xdup(s->p.role_name);
    rc = ecs_step(c, err, errlen);
    break;
  case SRC_URI: rc = send_req(c, "GET", s->uri, NULL, NULL, c->timeout, err, errlen); break;
  default: rc = ACK_EINVAL; snprintf(err, errlen, "not a fetchable source"); break;
  }
  if (rc) {
    free(c->imds_role);
    free(c->body);
    c->imds_role = c->body = NULL;
    c->fsrc = NULL;
    return rc;
  }
  c->fetching = true;
  return 0;
}

/* Credentials out of an STS answer ({Credentials:{...}}) or a metadata/URI answer ({Code, ...}). */
static int take_answer(aliyun_creds_t *c, const http_response_t *resp, char *err, size_t errlen) {
  json_t *body = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
  json_t *k = json_object_get(body, "Credentials");
  if (!k) k = body;
  const char *code = json_string_value(json_object_get(body, "Code"));
  const char *id = json_string_value(json_object_get(k, "AccessKeyId"));
  const char *secret = json_string_value(json_object_get(k, "AccessKeySecret"));
  const char *token = json_string_value(json_object_get(k, "SecurityToken"));
  const char *exp = json_string_value(json_object_get(k, "Expiration"));
  int rc = 0;
  if (resp->status < 200 || resp->status > 299 || !id || !secret || (code && strcmp(code, "Success") != 0)) {
    const char *msg = json_string_value(json_object_get(body, "Message"));
    if (code || msg)
      snprintf(err, errlen, "HTTP %ld %s: %s", resp->status, code ? code : "", msg ? msg : "");
    else
      snprintf(err, errlen, "HTTP %ld without credentials in the answer", resp->status);
    rc = ACK_EIO;
  } else {
    double e = exp ? aliyun_parse_iso8601(exp) : 0;
    adopt(c, c->fsrc, id, secret, token, e > 0 ? e : 0);
  }
  json_decref(body);
  return rc;
}

static void http_done(void *ud, http_response_t *resp) {
  aliyun_creds_t *c = ud;
  src_t *s = c->fsrc;
  char err[800] = "";
  c->req = NULL;
  if (resp->error_code) {
    snprintf(err, sizeof err, "%s: %s", resp->error_code, resp->error);
    if (s->kind == SRC_ECS) appendf(err, sizeof err, " (is this an ECS instance? set ALIBABA_CLOUD_ECS_METADATA_DISABLED=true if not)");
    fetch_end(c, err);
    return;
  }
  if (s->kind != SRC_ECS || c->step == 2) {
    fetch_end(c, take_answer(c, resp, err, sizeof err) ? err : NULL);
    return;
  }
  if (c->step == 0) {
    if (resp->status == 200 && resp->len) {
      c->imds_token = ack_strndup(resp->body, resp->len);
    } else if (env_true("ALIBABA_CLOUD_IMDSV1_DISABLED")) {
      snprintf(err, sizeof err, "no IMDSv2 token (HTTP %ld) and ALIBABA_CLOUD_IMDSV1_DISABLED is set", resp->status);
      fetch_end(c, err);
      return;
    }
    c->step = c->imds_role ? 2 : 1;
  } else {
    if (resp->status != 200 || !resp->len) {
      snprintf(err, sizeof err, "HTTP %ld listing the instance's RAM role (is one attached?)", resp->status);
      fetch_end(c, err);
      return;
    }
    size_t n = strcspn(resp->body, "\r\n");
    c->imds_role = ack_strndup(resp->body, n);
    c->step = 2;
  }
  if (ecs_step(c, err, sizeof err)) fetch_end(c, err);
}

/* ---- public --------------------------------------------------------------------------- */

aliyun_creds_t *aliyun_creds_new(uv_loop_t *loop, http_client_t *http, const aliyun_creds_opts_t *o) {
  aliyun_creds_t *c = ack_xcalloc(1, sizeof *c);
  c->loop = loop;
  c->http = http;
  c->cfg_id = xdup(o->access_key_id && *o->access_key_id ? o->access_key_id : NULL);
  c->cfg_secret = xdup(o->access_key_secret && *o->access_key_secret ? o->access_key_secret : NULL);
  c->sts_url = ack_strdup(o->sts_url ? o->sts_url : "https://sts.aliyuncs.com");
  c->metadata_url = ack_strdup(o->metadata_url ? o->metadata_url : "http://100.100.100.200");
  c->timeout = o->timeout > 0 ? o->timeout : 10;
  log_add_secret(c->cfg_secret);
  return c;
}

void aliyun_creds_free(aliyun_creds_t *c) {
  if (!c) return;
  if (c->req) http_cancel(c->req);
  while (c->waiters) aliyun_creds_unwait(c->waiters);
  chain_clear(c); /* c->fsrc is in the chain or is the winner */
  src_free(c->winner);
  cred_clear(&c->cur);
  free(c->imds_token);
  free(c->imds_role);
  free(c->body);
  free(c->cfg_id);
  free(c->cfg_secret);
  free(c->sts_url);
  free(c->metadata_url);
  free(c);
}

int aliyun_creds_get(aliyun_creds_t *c, aliyun_creds_waiter_t *w, aliyun_creds_cb cb, void *ud,
                     const aliyun_credential_t **out, char *err, size_t errlen) {
  double now = now_wall();
  *out = NULL;
  if (aliyun_cred_valid(&c->cur, now)) {
    /* Inside the margin: refresh in the background, keep serving what is still valid. */
    if (!aliyun_cred_fresh(&c->cur, now) && !c->fetching && c->winner && c->winner->kind != SRC_STATIC &&
        now >= c->retry_refresh_at) {
      char why[600];
      if (fetch_begin(c, c->winner, true, why, sizeof why) != 0) {
        log_warn("aliyun: refreshing the credentials from %s failed: %s", c->winner->name, why);
        c->retry_refresh_at = now + RETRY_REFRESH_AFTER;
      }
    }
    *out = &c->cur;
    return 0;
  }
  if (c->fetching) {
    waiter_add(c, w, cb, ud);
    return 1;
  }
  if (c->winner && c->winner->kind != SRC_STATIC) { /* expired or invalidated: fetch again, and wait */
    char why[600];
    if (fetch_begin(c, c->winner, false, why, sizeof why) != 0) {
      snprintf(err, errlen, "refreshing the credentials from %s (%s) failed: %s", c->winner->name, c->winner->detail, why);
      return ACK_ENOENT;
    }
    waiter_add(c, w, cb, ud);
    return 1;
  }
  if (now < c->negative_until) {
    snprintf(err, errlen, "%s", c->negative);
    return ACK_ENOENT;
  }
  chain_build(c);
  int rc = chain_advance(c);
  if (rc == 0) {
    *out = &c->cur;
    return 0;
  }
  if (rc == 1) {
    waiter_add(c, w, cb, ud);
    return 1;
  }
  no_credentials(err, errlen, c->tried);
  return ACK_ENOENT;
}

bool aliyun_creds_invalidate(aliyun_creds_t *c, const char *access_key_id) {
  if (!c->cur.access_key_id || !access_key_id || strcmp(c->cur.access_key_id, access_key_id) != 0) return false;
  if (!c->winner || c->winner->kind == SRC_STATIC) return false;
  log_info("aliyun: the cloud rejected the credentials from %s as expired; fetching new ones", c->winner->name);
  cred_clear(&c->cur);
  c->retry_refresh_at = 0;
  return true;
}
