/* k8s_auth.c: token files (cached by identity, size and mtime), exec credential plugins
 * (uv_spawn, one run shared by concurrent requests, output cached until it expires).
 *
 * A plugin run owns four handles (process, stdout, stderr, timer); it finishes when the
 * process has exited and both pipes reached EOF (or the timer fired), delivers to the
 * entry's waiters, and frees itself when the last handle has closed. */
#include "k8s_auth.h"

#include "ack.h"
#include "log.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

extern char **environ;

#define TOKEN_FILE_MAX (64u << 10)
#define STDERR_KEEP 4096
#define EXIT_GRACE_MS 1000     /* after exit, how long pipes may stay open */

typedef struct exec_run exec_run_t;

/* One token file, re-read when stat says it changed. */
typedef struct file_entry {
  struct file_entry *next;
  char *path;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime;
  char *token;   /* NULL: read it next time */
} file_entry_t;

/* One plugin identity: its cached credentials and the run in flight. */
typedef struct exec_entry {
  struct exec_entry *next;
  k8s_auth_t *a;
  char *key;
  char *name;                  /* the command, for messages */
  char *token, *cert, *key_pem;
  size_t cert_len, key_len;
  bool have;                   /* the fields above are current */
  double expires;              /* wall-clock seconds; 0: never */
  exec_run_t *run;
  k8s_auth_req_t *waiters;
} exec_entry_t;

struct k8s_auth_req {
  k8s_auth_req_t *prev, *next;
  k8s_auth_req_t **head;       /* the list it is on */
  k8s_auth_cb cb;
  void *ud;
};

struct exec_run {
  exec_entry_t *entry;         /* NULL once the auth object is gone */
  char *api_version;
  uv_process_t proc;
  uv_pipe_t out, err;
  uv_timer_t timer;
  int handles;                 /* open handles; the run is freed at 0 */
  bool exited, out_done, err_done, finished, timed_out, too_big;
  bool draining;               /* exited; the timer now bounds the wait for pipe EOF */
  int64_t exit_status;
  int term_signal;
  char *obuf;
  size_t olen, ocap;
  char ebuf[STDERR_KEEP + 4096]; /* past STDERR_KEEP: scratch for stderr that is dropped */
  size_t elen;
  double timeout;
};

struct k8s_auth {
  uv_loop_t *loop;
  double exec_timeout;
  file_entry_t *files;
  exec_entry_t *execs;
  int delivering;              /* callbacks on the stack: free is deferred */
  bool closing;
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- requests ----------------------------------------------------------------------- */

static void req_link(k8s_auth_req_t **head, k8s_auth_req_t *r) {
  r->head = head;
  r->prev = NULL;
  r->next = *head;
  if (*head) (*head)->prev = r;
  *head = r;
}

static void req_unlink(k8s_auth_req_t *r) {
  if (r->prev) r->prev->next = r->next;
  else *r->head = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

void k8s_auth_cancel(k8s_auth_req_t *r) {
  if (!r) return;
  req_unlink(r);
  free(r);
}

static void auth_destroy(k8s_auth_t *a);

/* Calls back with a->delivering raised, so k8s_auth_free inside cb waits until it returns. */
static void call(k8s_auth_t *a, k8s_auth_cb cb, void *ud, const k8s_creds_t *creds, const char *err) {
  a->delivering++;
  cb(ud, creds, err);
  if (--a->delivering == 0 && a->closing) auth_destroy(a);
}

/* Calls every waiter of e with creds or err. Waiters move to a list of their own first, so
 * a callback that asks again (and starts a new run) is not answered with this result, and
 * one that cancels another waiter unlinks it from the right list. */
static void deliver(exec_entry_t *e, const k8s_creds_t *creds, const char *err) {
  k8s_auth_t *a = e->a;
  k8s_auth_req_t *list = e->waiters;
  e->waiters = NULL;
  for (k8s_auth_req_t *r = list; r; r = r->next) r->head = &list;
  a->delivering++;
  while (list && !a->closing) {
    k8s_auth_req_t *r = list;
    req_unlink(r);
    k8s_auth_cb cb = r->cb;
    void *ud = r->ud;
    free(r);
    cb(ud, creds, err);
  }
  while (list) k8s_auth_cancel(list);
  if (--a->delivering == 0 && a->closing) auth_destroy(a);
}

/* ---- token files -------------------------------------------------------------------- */

static file_entry_t *file_entry(k8s_auth_t *a, const char *path) {
  for (file_entry_t *f = a->files; f; f = f->next)
    if (strcmp(f->path, path) == 0) return f;
  file_entry_t *f = ack_xcalloc(1, sizeof *f);
  f->path = ack_strdup(path);
  f->next = a->files;
  a->files = f;
  return f;
}

static void file_forget(file_entry_t *f) {
  if (f->token) OPENSSL_cleanse(f->token, strlen(f->token));
  free(f->token);
  f->token = NULL;
}

/* The current token in path: read again when its identity, size or mtime changed (a
 * kubelet swaps projected tokens atomically, so a new inode is the usual sign). */
static const char *token_file(k8s_auth_t *a, const char *path, char *err, size_t errlen) {
  file_entry_t *f = file_entry(a, path);
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
    file_forget(f);
    return NULL;
  }
  if (f->token && st.st_dev == f->dev && st.st_ino == f->ino && st.st_size == f->size &&
      st.st_mtim.tv_sec == f->mtime.tv_sec && st.st_mtim.tv_nsec == f->mtime.tv_nsec)
    return f->token;
  file_forget(f);
  if (!S_ISREG(st.st_mode) || st.st_size > (off_t)TOKEN_FILE_MAX) {
    snprintf(err, errlen, "token file %s: %s", path, S_ISREG(st.st_mode) ? "larger than 64 KiB" : "not a regular file");
    return NULL;
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
    return NULL;
  }
  char *buf = ack_xmalloc(TOKEN_FILE_MAX + 1);
  size_t n = fread(buf, 1, TOKEN_FILE_MAX, fp);
  fclose(fp);
  buf[n] = '\0';
  size_t b = 0, e = strlen(buf); /* client-go trims whitespace */
  while (b < e && strchr(" \t\r\n", buf[b])) b++;
  while (e > b && strchr(" \t\r\n", buf[e - 1])) e--;
  if (e == b) {
    OPENSSL_cleanse(buf, n);
    free(buf);
    snprintf(err, errlen, "token file %s is empty", path);
    return NULL;
  }
  f->token = ack_strndup(buf + b, e - b);
  OPENSSL_cleanse(buf, n);
  free(buf);
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->size = st.st_size;
  f->mtime = st.st_mtim;
  log_add_secret(f->token);
  return f->token;
}

/* ---- exec plugins ------------------------------------------------------------------- */

static void buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 2 > *cap) {
    *cap = (*len + n + 2) * 2;
    *buf = ack_xrealloc(*buf, *cap);
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[(*len)++] = '\x1f';
  (*buf)[*len] = '\0';
}

/* The cache identity of t's plugin: everything that can change what it prints. */
static char *exec_key(const kube_target_t *t) {
  const kube_exec_t *x = t->exec;
  char *k = NULL;
  size_t len = 0, cap = 0;
  const char *user = t->user_name ? t->user_name : "";
  buf_add(&k, &len, &cap, user, strlen(user));
  buf_add(&k, &len, &cap, x->command, strlen(x->command));
  for (char **p = x->args; p && *p; p++) buf_add(&k, &len, &cap, *p, strlen(*p));
  buf_add(&k, &len, &cap, "env", 3);
  for (char **p = x->env; p && *p; p++) buf_add(&k, &len, &cap, *p, strlen(*p));
  const char *v = x->api_version ? x->api_version : "";
  buf_add(&k, &len, &cap, v, strlen(v));
  if (x->provide_cluster_info) {
    const char *s = t->server ? t->server : "";
    buf_add(&k, &len, &cap, s, strlen(s));
    if (t->ca_data) buf_add(&k, &len, &cap, t->ca_data, t->ca_len);
    if (t->ca_file) buf_add(&k, &len, &cap, t->ca_file, strlen(t->ca_file));
  }
  return k;
}

static exec_entry_t *exec_entry(k8s_auth_t *a, const kube_target_t *t, bool create) {
  char *key = exec_key(t);
  exec_entry_t *e;
  for (e = a->execs; e; e = e->next)
    if (strcmp(e->key, key) == 0) break;
  if (!e && create) {
    e = ack_xcalloc(1, sizeof *e);
    e->a = a;
    e->key = key;
    key = NULL;
    e->name = ack_strdup(t->exec->command);
    e->next = a->execs;
    a->execs = e;
  }
  free(key);
  return e;
}

static void entry_clear_creds(exec_entry_t *e) {
  if (e->token) OPENSSL_cleanse(e->token, strlen(e->token));
  if (e->key_pem) OPENSSL_cleanse(e->key_pem, e->key_len);
  free(e->token);
  free(e->cert);
  free(e->key_pem);
  e->token = e->cert = e->key_pem = NULL;
  e->cert_len = e->key_len = 0;
  e->have = false;
}

static bool fresh(const exec_entry_t *e) {
  return e->have && (e->expires == 0 || wall_now() < e->expires - K8S_AUTH_EXPIRY_MARGIN);
}

/* RFC 3339 ("2024-05-01T10:00:00Z", fractions and offsets allowed) to epoch seconds. */
static bool parse_time(const char *s, double *out) {
  int v[6], n = 0;
  static const char seps[] = "--T::";
  const char *p = s;
  for (int i = 0; i < 6; i++) {
    int digits = i == 0 ? 4 : 2, x = 0;
    for (int d = 0; d < digits; d++, p++) {
      if (*p < '0' || *p > '9') return false;
      x = x * 10 + (*p - '0');
    }
    v[n++] = x;
    if (i < 5) {
      if (*p != seps[i] && !(i == 2 && (*p == 't' || *p == ' '))) return false;
      p++;
    }
  }
  double frac = 0;
  if (*p == '.') {
    double scale = 0.1;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
  }
  int offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if ((*p == '+' || *p == '-') && p[1] && p[2] && p[3] == ':' && p[4] && p[5]) {
    int sign = *p == '-' ? -1 : 1;
    int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');
    offset = sign * (hh * 3600 + mm * 60);
    p += 6;
  } else {
    return false;
  }
  if (*p || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return false;
  struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5] };
  *out = (double)timegm(&tm) - offset + frac;
  return true;
}

/* The first non-empty line of the plugin's stderr, trimmed, into out. */
static void first_line(const char *s, size_t n, char *out, size_t outlen) {
  out[0] = '\0';
  size_t i = 0;
  while (i < n) {
    size_t e = i;
    while (e < n && s[e] != '\n') e++;
    size_t b = i, end = e;
    while (b < end && strchr(" \t\r", s[b])) b++;
    while (end > b && strchr(" \t\r", s[end - 1])) end--;
    if (end > b) {
      snprintf(out, outlen, "%.*s", (int)(end - b > 300 ? 300 : end - b), s + b);
      return;
    }
    i = e + 1;
  }
}

/* Reads the ExecCredential into e. Returns false with err. */
static bool take_credential(exec_entry_t *e, const exec_run_t *run, char *err, size_t errlen) {
  json_error_t je;
  json_t *j = json_loadb(run->obuf ? run->obuf : "", run->olen, 0, &je);
  /* Never quote the output, not even jansson's "near '...'": it may hold the very secret. */
  if (!j) {
    snprintf(err, errlen, "exec plugin %s: output is not an ExecCredential (invalid JSON at line %d, column %d)",
             e->name, je.line, je.column);
    return false;
  }
  const char *kind = json_string_value(json_object_get(j, "kind"));
  const char *api = json_string_value(json_object_get(j, "apiVersion"));
  json_t *status = json_object_get(j, "status");
  const char *token = json_string_value(json_object_get(status, "token"));
  const char *cert = json_string_value(json_object_get(status, "clientCertificateData"));
  const char *key = json_string_value(json_object_get(status, "clientKeyData"));
  const char *exp = json_string_value(json_object_get(status, "expirationTimestamp"));
  double expires = 0;
  bool ok = false;
  if (!kind || strcmp(kind, "ExecCredential") != 0)
    snprintf(err, errlen, "exec plugin %s: output is not an ExecCredential (kind %s)", e->name, kind ? kind : "missing");
  else if (!api || strcmp(api, run->api_version) != 0)
    snprintf(err, errlen, "exec plugin %s: answered apiVersion %s, expected %s", e->name, api ? api : "(none)",
             run->api_version);
  else if (!json_is_object(status))
    snprintf(err, errlen, "exec plugin %s: the ExecCredential has no status", e->name);
  else if (!!cert != !!key)
    snprintf(err, errlen, "exec plugin %s: the ExecCredential has %s without %s", e->name,
             cert ? "clientCertificateData" : "clientKeyData", cert ? "clientKeyData" : "clientCertificateData");
  else if ((!token || !*token) && !cert)
    snprintf(err, errlen, "exec plugin %s: the ExecCredential has neither a token nor a client certificate", e->name);
  else if (exp && !parse_time(exp, &expires))
    snprintf(err, errlen, "exec plugin %s: expirationTimestamp \"%.40s\" is not RFC 3339", e->name, exp);
  else
    ok = true;
  if (ok) {
    entry_clear_creds(e);
    e->token = token && *token ? ack_strdup(token) : NULL;
    if (cert) {
      e->cert = ack_strdup(cert);
      e->cert_len = strlen(cert);
      e->key_pem = ack_strdup(key);
      e->key_len = strlen(key);
    }
    e->expires = expires;
    e->have = true;
    if (e->token) log_add_secret(e->token);
  }
  /* The tree held the token too. */
  if (token) OPENSSL_cleanse((char *)token, strlen(token));
  if (key) OPENSSL_cleanse((char *)key, strlen(key));
  json_decref(j);
  return ok;
}

static void run_on_close(uv_handle_t *h) {
  exec_run_t *run = h->data;
  if (--run->handles > 0) return;
  if (run->obuf) OPENSSL_cleanse(run->obuf, run->olen);
  free(run->obuf);
  free(run->api_version);
  free(run);
}

static void close_if_open(uv_handle_t *h) {
  if (h->data && !uv_is_closing(h)) uv_close(h, run_on_close);
}

static void run_close(exec_run_t *run) {
  close_if_open((uv_handle_t *)&run->proc);
  close_if_open((uv_handle_t *)&run->out);
  close_if_open((uv_handle_t *)&run->err);
  close_if_open((uv_handle_t *)&run->timer);
}

static void run_finish(exec_run_t *run) {
  if (run->finished || !run->exited || !run->out_done || !run->err_done) return;
  run->finished = true;
  exec_entry_t *e = run->entry;
  run_close(run);
  if (!e) return;
  e->run = NULL;
  char err[512] = "", line[320];
  first_line(run->ebuf, run->elen, line, sizeof line);
  if (run->timed_out)
    snprintf(err, sizeof err, "exec plugin %s: timed out after %g s", e->name, run->timeout);
  else if (run->too_big)
    snprintf(err, sizeof err, "exec plugin %s: output larger than %u MiB", e->name, K8S_AUTH_EXEC_MAX_OUTPUT >> 20);
  else if (run->term_signal)
    snprintf(err, sizeof err, "exec plugin %s: killed by signal %d%s%s", e->name, run->term_signal, *line ? ": " : "", line);
  else if (run->exit_status)
    snprintf(err, sizeof err, "exec plugin %s: exit %lld%s%s", e->name, (long long)run->exit_status, *line ? ": " : "", line);
  else
    take_credential(e, run, err, sizeof err);
  if (err[0]) {
    log_warn("%s", err);
    deliver(e, NULL, err);
    return;
  }
  k8s_creds_t creds = { .token = e->token, .cert_pem = e->cert, .cert_len = e->cert_len,
                        .key_pem = e->key_pem, .key_len = e->key_len };
  deliver(e, &creds, NULL);
}

static void run_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  exec_run_t *run = h->data;
  if ((uv_pipe_t *)h == &run->out) {
    if (run->ocap - run->olen < 4096) {
      run->ocap = run->ocap ? run->ocap * 2 : 16384;
      run->obuf = ack_xrealloc(run->obuf, run->ocap);
    }
    *buf = uv_buf_init(run->obuf + run->olen, (unsigned)(run->ocap - run->olen));
    return;
  }
  ACK_UNUSED(suggested);
  if (run->elen < STDERR_KEEP) *buf = uv_buf_init(run->ebuf + run->elen, (unsigned)(STDERR_KEEP - run->elen));
  else *buf = uv_buf_init(run->ebuf + STDERR_KEEP, sizeof run->ebuf - STDERR_KEEP);
}

/* The plugin leads its own process group (UV_PROCESS_DETACHED): kill what it started too,
 * or a wrapper script's children would hold the pipes open. */
static void run_kill(exec_run_t *run) {
  if (!run->exited) uv_kill(-run->proc.pid, SIGKILL);
}

static void run_stop_reading(exec_run_t *run) {
  uv_read_stop((uv_stream_t *)&run->out);
  uv_read_stop((uv_stream_t *)&run->err);
  run->out_done = run->err_done = true;
}

static void run_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  exec_run_t *run = s->data;
  bool is_out = (uv_pipe_t *)s == &run->out;
  if (n > 0) {
    if (!is_out) {
      if (buf->base == run->ebuf + run->elen) run->elen += (size_t)n; /* else the scratch */
      return;
    }
    run->olen += (size_t)n;
    if (run->olen <= K8S_AUTH_EXEC_MAX_OUTPUT) return;
    run->too_big = true;
    run_kill(run);
    run_stop_reading(run);
    run_finish(run);
    return;
  } else if (n == 0) {
    return;
  }
  /* EOF, an error, or enough: this pipe is done. */
  uv_read_stop(s);
  if (is_out) run->out_done = true;
  else run->err_done = true;
  run_finish(run);
}

static void run_timeout(uv_timer_t *t);

static void run_exit(uv_process_t *p, int64_t status, int sig) {
  exec_run_t *run = p->data;
  run->exited = true;
  run->exit_status = status;
  run->term_signal = sig;
  if (!run->out_done || !run->err_done) {
    /* Exited, but something it left behind holds a pipe: wait a moment, not forever. */
    run->draining = true;
    uv_timer_start(&run->timer, run_timeout, EXIT_GRACE_MS, 0);
  }
  run_finish(run);
}

static void run_timeout(uv_timer_t *t) {
  exec_run_t *run = t->data;
  if (!run->draining) {
    run->timed_out = true;
    run_kill(run);
  }
  run_stop_reading(run);
  run_finish(run);
}

/* KUBERNETES_EXEC_INFO as client-go sets it: the ExecCredential spec, with the cluster when
 * the kubeconfig asks for provideClusterInfo. New string. */
static char *exec_info(const kube_target_t *t) {
  json_t *spec = json_pack("{s:b}", "interactive", 0);
  if (t->exec->provide_cluster_info) {
    json_t *c = json_pack("{s:s}", "server", t->server ? t->server : "");
    if (t->tls_server_name) json_object_set_new(c, "tls-server-name", json_string(t->tls_server_name));
    if (t->insecure) json_object_set_new(c, "insecure-skip-tls-verify", json_true());
    if (t->proxy_url) json_object_set_new(c, "proxy-url", json_string(t->proxy_url));
    char *ca = t->ca_data;
    size_t ca_len = t->ca_len;
    char *file_ca = NULL;
    if (!ca && t->ca_file) {
      FILE *f = fopen(t->ca_file, "rb");
      if (f) {
        file_ca = ack_xmalloc(1 << 20);
        ca_len = fread(file_ca, 1, 1 << 20, f);
        fclose(f);
        ca = file_ca;
      }
    }
    if (ca && ca_len) {
      char *b64 = ack_xmalloc(4 * ((ca_len + 2) / 3) + 1);
      EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)ca, (int)ca_len);
      json_object_set_new(c, "certificate-authority-data", json_string(b64));
      free(b64);
    }
    free(file_ca);
    json_object_set_new(spec, "cluster", c);
  }
  json_t *info = json_pack("{s:s, s:s, s:o}", "kind", "ExecCredential", "apiVersion", t->exec->api_version, "spec", spec);
  char *s = json_dumps(info, JSON_COMPACT);
  json_decref(info);
  return s;
}

static bool env_overridden(const char *entry, char **plugin_env) {
  const char *eq = strchr(entry, '=');
  size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
  if (n == strlen("KUBERNETES_EXEC_INFO") && strncmp(entry, "KUBERNETES_EXEC_INFO", n) == 0) return true;
  for (char **p = plugin_env; p && *p; p++)
    if (strncmp(*p, entry, n) == 0 && (*p)[n] == '=') return true;
  return false;
}

/* Starts e's plugin. Returns 0, or a libuv error with nothing left running. */
static int run_start(k8s_auth_t *a, exec_entry_t *e, const kube_target_t *t) {
  const kube_exec_t *x = t->exec;
  size_t nargs = 0, nenv = 0, nplug = 0;
  while (x->args && x->args[nargs]) nargs++;
  while (environ && environ[nenv]) nenv++;
  while (x->env && x->env[nplug]) nplug++;
  char **argv = ack_xcalloc(nargs + 2, sizeof *argv);
  argv[0] = x->command;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = x->args[i];
  char **env = ack_xcalloc(nenv + nplug + 2, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < nenv; i++)
    if (!env_overridden(environ[i], x->env)) env[k++] = environ[i];
  for (size_t i = 0; i < nplug; i++) env[k++] = x->env[i];
  char *info = exec_info(t);
  size_t ilen = strlen(info) + sizeof "KUBERNETES_EXEC_INFO=";
  char *info_var = ack_xmalloc(ilen);
  snprintf(info_var, ilen, "KUBERNETES_EXEC_INFO=%s", info);
  free(info);
  env[k++] = info_var;

  exec_run_t *run = ack_xcalloc(1, sizeof *run);
  run->entry = e;
  run->api_version = ack_strdup(x->api_version);
  run->timeout = a->exec_timeout;
  uv_pipe_init(a->loop, &run->out, 0);
  uv_pipe_init(a->loop, &run->err, 0);
  run->out.data = run->err.data = run->proc.data = run;
  run->handles = 3;
  uv_stdio_container_t stdio[3] = {
    { .flags = UV_IGNORE },
    { .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&run->out },
    { .flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&run->err },
  };
  uv_process_options_t opts = {
    .exit_cb = run_exit, .file = x->command, .args = argv, .env = env, .stdio_count = 3, .stdio = stdio,
    .flags = UV_PROCESS_DETACHED,
  };
  int rc = uv_spawn(a->loop, &run->proc, &opts);
  free(argv);
  free(env);
  free(info_var);
  if (rc != 0) {
    run->entry = NULL;
    run_close(run); /* the process handle needs closing even when spawn failed */
    return rc;
  }
  uv_timer_init(a->loop, &run->timer);
  run->timer.data = run;
  run->handles++;
  uv_timer_start(&run->timer, run_timeout, (uint64_t)(a->exec_timeout * 1000), 0);
  uv_read_start((uv_stream_t *)&run->out, run_alloc, run_read);
  uv_read_start((uv_stream_t *)&run->err, run_alloc, run_read);
  e->run = run;
  return 0;
}

static bool supported_api_version(const char *v) {
  return v && (strcmp(v, "client.authentication.k8s.io/v1") == 0 || strcmp(v, "client.authentication.k8s.io/v1beta1") == 0);
}

/* ---- the API ------------------------------------------------------------------------ */

k8s_auth_t *k8s_auth_new(uv_loop_t *loop) {
  k8s_auth_t *a = ack_xcalloc(1, sizeof *a);
  a->loop = loop;
  a->exec_timeout = K8S_AUTH_EXEC_TIMEOUT;
  return a;
}

void k8s_auth_set_exec_timeout(k8s_auth_t *a, double seconds) {
  if (seconds > 0) a->exec_timeout = seconds;
}

static void auth_destroy(k8s_auth_t *a) {
  while (a->execs) {
    exec_entry_t *e = a->execs;
    a->execs = e->next;
    if (e->run) {
      exec_run_t *run = e->run;
      run->entry = NULL;
      run_kill(run);
      run_close(run);
    }
    while (e->waiters) k8s_auth_cancel(e->waiters);
    entry_clear_creds(e);
    free(e->key);
    free(e->name);
    free(e);
  }
  while (a->files) {
    file_entry_t *f = a->files;
    a->files = f->next;
    file_forget(f);
    free(f->path);
    free(f);
  }
  free(a);
}

void k8s_auth_free(k8s_auth_t *a) {
  if (!a) return;
  a->closing = true;
  if (!a->delivering) auth_destroy(a);
}

k8s_auth_req_t *k8s_auth_get(k8s_auth_t *a, const kube_target_t *t, k8s_auth_cb cb, void *ud) {
  char err[512];
  k8s_creds_t creds = { 0 };
  if (t->exec) {
    const kube_exec_t *x = t->exec;
    if (!supported_api_version(x->api_version)) {
      snprintf(err, sizeof err, "exec plugin %s: apiVersion %s is not supported (use client.authentication.k8s.io/v1 or v1beta1)",
               x->command, x->api_version ? x->api_version : "(missing)");
      call(a, cb, ud, NULL, err);
      return NULL;
    }
    exec_entry_t *e = exec_entry(a, t, true);
    if (!e->run && fresh(e)) {
      creds = (k8s_creds_t){ .token = e->token, .cert_pem = e->cert, .cert_len = e->cert_len,
                             .key_pem = e->key_pem, .key_len = e->key_len };
      call(a, cb, ud, &creds, NULL);
      return NULL;
    }
    if (!e->run) {
      int rc = run_start(a, e, t);
      if (rc != 0) {
        if (rc == UV_ENOENT)
          snprintf(err, sizeof err, "exec plugin %s: not found%s%s", x->command, x->install_hint ? ". " : "",
                   x->install_hint ? x->install_hint : "");
        else
          snprintf(err, sizeof err, "exec plugin %s: %s", x->command, uv_strerror(rc));
        call(a, cb, ud, NULL, err);
        return NULL;
      }
    }
    k8s_auth_req_t *r = ack_xcalloc(1, sizeof *r);
    r->cb = cb;
    r->ud = ud;
    req_link(&e->waiters, r);
    return r;
  }
  if (t->token_file) {
    creds.token = token_file(a, t->token_file, err, sizeof err);
    if (!creds.token) {
      call(a, cb, ud, NULL, err);
      return NULL;
    }
  } else if (t->token) {
    log_add_secret(t->token);
    creds.token = t->token;
  } else if (t->auth_provider) {
    snprintf(err, sizeof err, "auth-provider %s is not supported; use an exec plugin (kubectl's own providers were removed too: gke-gcloud-auth-plugin, kubelogin)",
             t->auth_provider);
    call(a, cb, ud, NULL, err);
    return NULL;
  }
  call(a, cb, ud, &creds, NULL);
  return NULL;
}

void k8s_auth_invalidate(k8s_auth_t *a, const kube_target_t *t) {
  if (t->exec) {
    exec_entry_t *e = exec_entry(a, t, false);
    if (e) e->have = false; /* strings stay until replaced: a callback may be reading them */
  } else if (t->token_file) {
    for (file_entry_t *f = a->files; f; f = f->next)
      if (strcmp(f->path, t->token_file) == 0) f->mtime.tv_sec = -1; /* re-read, keep the string alive */
  }
}
