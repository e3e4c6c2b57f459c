/* k8s_bridge.c: resolution of a cluster (kubeconfig context, in-cluster account, or a
 * kubeconfig held for an ACK cluster), credentials, and the request itself. Parsed
 * kubeconfigs are reference-counted so a reload (the file changed) or an expiry never pulls
 * a target from under a request in flight. */
#include "k8s_bridge.h"

#include "ack.h"
#include "k8s_auth.h"
#include "kubeconfig.h"
#include "log.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DEFAULT_MAX_BYTES (64u << 20)
#define MAX_HELD 256           /* ACK kubeconfigs held at once; the oldest goes first */
#define USER_AGENT ACK_NAME "/" ACK_VERSION

typedef struct kc_ref {
  kubeconfig_t *kc;
  int refs;
} kc_ref_t;

typedef struct held {
  char *key;
  kc_ref_t *kc;
  double expires_at;
  struct held *next;
} held_t;

struct k8s_bridge {
  uv_loop_t *loop;
  http_client_t *http;
  const config_t *cfg;
  k8s_auth_t *auth;
  char *local_path;            /* LOCAL kubeconfig, ~ expanded */
  kc_ref_t *local;             /* as last loaded, or NULL */
  char local_err[512];
  struct timespec local_mtime;
  off_t local_size;
  uint64_t local_checked;      /* loop ms of the last stat */
  kc_ref_t *incluster;
  held_t *held;
  int nheld;
};

struct k8s_req {
  k8s_bridge_t *b;
  kc_ref_t *kc;
  const kube_target_t *t;
  char *method, *url, *body, *content_type, *accept;
  size_t body_len, max_bytes;
  double timeout;
  k8s_auth_req_t *auth;
  http_req_t *http;
  bool retried, in_start;
  char start_err[512];         /* a failure while starting: reported by k8s_bridge_request */
  k8s_done_cb done;
  void *ud;
};

static kc_ref_t *kc_wrap(kubeconfig_t *kc) {
  kc_ref_t *r = ack_xcalloc(1, sizeof *r);
  r->kc = kc;
  r->refs = 1;
  return r;
}

static void kc_release(kc_ref_t *r) {
  if (r && --r->refs == 0) {
    kubeconfig_free(r->kc);
    free(r);
  }
}

static char *expand_home(const char *p) {
  if (p[0] == '~' && (p[1] == '/' || !p[1])) {
    const char *home = getenv("HOME");
    size_t n = strlen(home ? home : "") + strlen(p);
    char *out = ack_xmalloc(n + 1);
    snprintf(out, n + 1, "%s%s", home ? home : "", p + 1);
    return out;
  }
  return ack_strdup(p);
}

k8s_bridge_t *k8s_bridge_new(uv_loop_t *loop, http_client_t *http, const config_t *cfg) {
  k8s_bridge_t *b = ack_xcalloc(1, sizeof *b);
  b->loop = loop;
  b->http = http;
  b->cfg = cfg;
  b->auth = k8s_auth_new(loop);
  b->local_path = expand_home(cfg->kubeconfig_path ? cfg->kubeconfig_path : "~/.kube/config");
  return b;
}

void k8s_bridge_free(k8s_bridge_t *b) {
  if (!b) return;
  kc_release(b->local);
  kc_release(b->incluster);
  while (b->held) {
    held_t *h = b->held;
    b->held = h->next;
    kc_release(h->kc);
    free(h->key);
    free(h);
  }
  k8s_auth_free(b->auth);
  free(b->local_path);
  free(b);
}

static bool mode_is(const k8s_bridge_t *b, const char *mode) {
  return b->cfg->kubeconfig_mode && strcasecmp(b->cfg->kubeconfig_mode, mode) == 0;
}

/* The LOCAL kubeconfig, re-read when the file changed (checked at most once a second). */
static kc_ref_t *local_kubeconfig(k8s_bridge_t *b, char *err, size_t errlen) {
  uint64_t now = uv_now(b->loop);
  if (!b->local_checked || now - b->local_checked >= 1000) {
    b->local_checked = now;
    struct stat st;
    if (stat(b->local_path, &st) != 0) {
      kc_release(b->local);
      b->local = NULL;
      snprintf(b->local_err, sizeof b->local_err,
               "kubeconfig %s not found (set --kubeconfig-path or KUBECONFIG_PATH, or use --kubeconfig-mode INCLUSTER inside a pod)",
               b->local_path);
    } else if (!b->local || st.st_mtim.tv_sec != b->local_mtime.tv_sec || st.st_mtim.tv_nsec != b->local_mtime.tv_nsec ||
               st.st_size != b->local_size) {
      char perr[400];
      kubeconfig_t *kc = kubeconfig_load(b->local_path, perr, sizeof perr);
      kc_release(b->local);
      b->local = kc ? kc_wrap(kc) : NULL;
      b->local_mtime = st.st_mtim;
      b->local_size = st.st_size;
      if (!kc) snprintf(b->local_err, sizeof b->local_err, "kubeconfig %s: %s", b->local_path, perr);
      else if (b->local_checked && now > 1000) log_info("kubeconfig %s loaded: %zu contexts", b->local_path, kc->ntargets);
    }
  }
  if (!b->local) snprintf(err, errlen, "%s", b->local_err);
  return b->local;
}

static kc_ref_t *incluster_kubeconfig(k8s_bridge_t *b, char *err, size_t errlen) {
  if (!b->incluster) {
    kubeconfig_t *kc = kubeconfig_incluster(getenv("ACK_SA_DIR"), err, errlen);
    if (kc) b->incluster = kc_wrap(kc);
  }
  return b->incluster;
}

static held_t *find_held(k8s_bridge_t *b, const char *key, bool drop_expired) {
  held_t **pp = &b->held;
  double now = (double)time(NULL);
  while (*pp) {
    held_t *h = *pp;
    if (strcmp(h->key, key) == 0) {
      if (drop_expired && h->expires_at > 0 && now >= h->expires_at) {
        *pp = h->next;
        kc_release(h->kc);
        free(h->key);
        free(h);
        b->nheld--;
        return NULL;
      }
      return h;
    }
    pp = &h->next;
  }
  return NULL;
}

/* Resolves where to a target and the kubeconfig holding it (a new reference). */
static const kube_target_t *resolve(k8s_bridge_t *b, const k8s_where_t *w, kc_ref_t **out, char *err, size_t errlen) {
  *out = NULL;
  kc_ref_t *kc;
  const kube_target_t *t;
  if (w->key) {
    held_t *h = find_held(b, w->key, true);
    if (!h) {
      snprintf(err, errlen, "no kubeconfig is held for %s (it expired or was never fetched)", w->key);
      return NULL;
    }
    kc = h->kc;
    t = kubeconfig_target(kc->kc, NULL);
    if (!t && kc->kc->ntargets) t = &kc->kc->targets[0];
  } else if (mode_is(b, "INCLUSTER") && !w->context) {
    if (!(kc = incluster_kubeconfig(b, err, errlen))) return NULL;
    t = &kc->kc->targets[0];
  } else {
    if (!(kc = local_kubeconfig(b, err, errlen))) return NULL;
    t = kubeconfig_target(kc->kc, w->context);
    if (!t) {
      if (w->context) {
        size_t n = (size_t)snprintf(err, errlen, "context \"%s\" is not in %s; contexts:", w->context, b->local_path);
        for (size_t i = 0; i < kc->kc->ntargets && n < errlen; i++)
          n += (size_t)snprintf(err + n, errlen - n, "%s %s", i ? "," : "", kc->kc->targets[i].name);
      } else {
        snprintf(err, errlen, "%s has no current-context; pass `context` (one of its contexts)", b->local_path);
      }
      return NULL;
    }
  }
  if (!t) {
    snprintf(err, errlen, "the kubeconfig has no context");
    return NULL;
  }
  if (t->broken) {
    snprintf(err, errlen, "%s", t->broken);
    return NULL;
  }
  kc->refs++;
  *out = kc;
  return t;
}

json_t *k8s_bridge_resolve(k8s_bridge_t *b, const k8s_where_t *w, char *err, size_t errlen) {
  kc_ref_t *kc;
  const kube_target_t *t = resolve(b, w, &kc, err, errlen);
  if (!t) return NULL;
  const char *source = w->key ? "ack" : (mode_is(b, "INCLUSTER") && !w->context) ? "incluster" : "kubeconfig";
  json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}", "name", t->name ? t->name : "", "cluster", t->cluster_name, "user",
                        t->user_name, "namespace", t->namespace_ ? t->namespace_ : "default", "server", t->server ? t->server : "",
                        "source", source);
  kc_release(kc);
  return o;
}

json_t *k8s_bridge_contexts(k8s_bridge_t *b, char *err, size_t errlen) {
  kc_ref_t *kc = local_kubeconfig(b, err, errlen);
  if (!kc) return NULL;
  json_t *a = json_array();
  const kube_target_t *cur = kubeconfig_target(kc->kc, NULL);
  for (size_t i = 0; i < kc->kc->ntargets; i++) {
    const kube_target_t *t = &kc->kc->targets[i];
    json_array_append_new(a, json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:b}", "name", t->name, "cluster", t->cluster_name, "user",
                                       t->user_name, "namespace", t->namespace_ ? t->namespace_ : "default", "server",
                                       t->server ? t->server : "", "current", t == cur));
  }
  return a;
}

int k8s_bridge_add(k8s_bridge_t *b, const char *key, const char *text, size_t len, double expires_at, char *err, size_t errlen) {
  kubeconfig_t *kc = kubeconfig_parse(text, len, NULL, err, errlen);
  if (!kc) return ACK_EINVAL;
  if (!kubeconfig_target(kc, NULL) && !kc->ntargets) {
    kubeconfig_free(kc);
    snprintf(err, errlen, "the kubeconfig has no context");
    return ACK_EINVAL;
  }
  held_t *h = find_held(b, key, false);
  if (h) {
    kc_release(h->kc);
  } else {
    if (b->nheld >= MAX_HELD) { /* drop the last (oldest added) */
      held_t **pp = &b->held;
      while ((*pp)->next) pp = &(*pp)->next;
      kc_release((*pp)->kc);
      free((*pp)->key);
      free(*pp);
      *pp = NULL;
      b->nheld--;
    }
    h = ack_xcalloc(1, sizeof *h);
    h->key = ack_strdup(key);
    h->next = b->held;
    b->held = h;
    b->nheld++;
  }
  h->kc = kc_wrap(kc);
  h->expires_at = expires_at;
  return 0;
}

bool k8s_bridge_has(k8s_bridge_t *b, const char *key) { return find_held(b, key, true) != NULL; }

void k8s_bridge_drop(k8s_bridge_t *b, const char *key) {
  held_t *h = find_held(b, key, false);
  if (h) h->expires_at = 1; /* expired: the next lookup frees it */
}

/* ---- requests ------------------------------------------------------------------------ */

static void req_free(k8s_req_t *r) {
  kc_release(r->kc);
  free(r->method);
  free(r->url);
  free(r->body);
  free(r->content_type);
  free(r->accept);
  free(r);
}

static void fail(k8s_req_t *r, const char *code, const char *msg) {
  if (r->in_start) { /* k8s_bridge_request reports it */
    snprintf(r->start_err, sizeof r->start_err, "%s", msg);
    return;
  }
  http_response_t resp = { .error_code = code };
  snprintf(resp.error, sizeof resp.error, "%.250s", msg);
  r->done(r->ud, &resp);
  req_free(r);
}

static bool refreshable(const kube_target_t *t) { return t->token_file || t->exec; }

static void start_auth(k8s_req_t *r);

static void on_http(void *ud, http_response_t *resp) {
  k8s_req_t *r = ud;
  r->http = NULL;
  if (resp->status == 401 && !r->retried && refreshable(r->t)) {
    r->retried = true;
    k8s_auth_invalidate(r->b->auth, r->t);
    start_auth(r);
    return;
  }
  r->done(r->ud, resp);
  req_free(r);
}

static char *basic_auth(const char *user, const char *pass) {
  size_t n = strlen(user) + strlen(pass) + 1;
  char *plain = ack_xmalloc(n + 1);
  snprintf(plain, n + 1, "%s:%s", user, pass);
  char *out = ack_xmalloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)plain, (int)n);
  OPENSSL_cleanse(plain, n);
  free(plain);
  return out;
}

static void on_creds(void *ud, const k8s_creds_t *creds, const char *err) {
  k8s_req_t *r = ud;
  r->auth = NULL;
  const kube_target_t *t = r->t;
  if (err) {
    char msg[512];
    snprintf(msg, sizeof msg, "credentials for context %s: %s", t->name ? t->name : "?", err);
    fail(r, "AuthFailed", msg);
    return;
  }
  json_t *headers = json_pack("{s:s, s:s}", "accept", r->accept ? r->accept : "application/json", "user-agent", USER_AGENT);
  if (r->body) json_object_set_new(headers, "content-type", json_string(r->content_type ? r->content_type : "application/json"));
  char *auth = NULL;
  if (creds && creds->token && *creds->token) {
    size_t n = strlen(creds->token) + 8;
    auth = ack_xmalloc(n);
    snprintf(auth, n, "Bearer %s", creds->token);
  } else if (t->username && t->password) {
    char *b64 = basic_auth(t->username, t->password);
    size_t n = strlen(b64) + 7;
    auth = ack_xmalloc(n);
    snprintf(auth, n, "Basic %s", b64);
    free(b64);
  }
  if (auth) json_object_set_new(headers, "authorization", json_string(auth));
  http_opts_t o = {
    .method = r->method,
    .url = r->url,
    .headers = headers,
    .body = r->body,
    .body_len = r->body_len,
    .timeout = r->timeout,
    .max_bytes = r->max_bytes,
    .ca_file = t->ca_file,
    .ca_pem = t->ca_data,
    .ca_len = t->ca_len,
    .cert_pem = creds && creds->cert_pem ? creds->cert_pem : t->cert_data,
    .cert_len = creds && creds->cert_pem ? creds->cert_len : t->cert_len,
    .key_pem = creds && creds->key_pem ? creds->key_pem : t->key_data,
    .key_len = creds && creds->key_pem ? creds->key_len : t->key_len,
    .cert_file = t->cert_file,
    .key_file = t->key_file,
    .proxy = t->proxy_url,
    .tls_server_name = t->tls_server_name,
    .insecure = t->insecure,
  };
  char herr[256];
  r->http = http_request(r->b->http, &o, on_http, r, herr, sizeof herr);
  if (auth) OPENSSL_cleanse(auth, strlen(auth));
  free(auth);
  json_decref(headers);
  if (!r->http) fail(r, "ConnectionFailed", herr);
}

static void start_auth(k8s_req_t *r) { r->auth = k8s_auth_get(r->b->auth, r->t, on_creds, r); }

/* server + path + ?query, every name and value percent-encoded. */
static char *build_url(const char *server, const char *path, const json_t *query) {
  size_t sl = strlen(server);
  while (sl && server[sl - 1] == '/') sl--;
  size_t cap = sl + strlen(path) + 64, len = 0;
  char *u = ack_xmalloc(cap);
  len = (size_t)snprintf(u, cap, "%.*s%s", (int)sl, server, path);
  const char *k;
  json_t *v;
  char sep = '?';
  json_object_foreach((json_t *)query, k, v) {
    char num[64];
    const char *s;
    if (json_is_string(v)) s = json_string_value(v);
    else if (json_is_integer(v)) snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), s = num;
    else if (json_is_real(v)) snprintf(num, sizeof num, "%.17g", json_real_value(v)), s = num;
    else if (json_is_boolean(v)) s = json_is_true(v) ? "true" : "false";
    else continue;
    char *ek = curl_easy_escape(NULL, k, 0), *ev = curl_easy_escape(NULL, s, 0);
    size_t need = len + strlen(ek) + strlen(ev) + 3;
    if (need > cap) {
      while (cap < need) cap *= 2;
      u = ack_xrealloc(u, cap);
    }
    len += (size_t)snprintf(u + len, cap - len, "%c%s=%s", sep, ek, ev);
    sep = '&';
    curl_free(ek);
    curl_free(ev);
  }
  return u;
}

k8s_req_t *k8s_bridge_request(k8s_bridge_t *b, const k8s_opts_t *o, k8s_done_cb done, void *ud, char *err, size_t errlen) {
  if (!o->path || o->path[0] != '/') {
    snprintf(err, errlen, "path must start with /");
    return NULL;
  }
  kc_ref_t *kc;
  const kube_target_t *t = resolve(b, &o->where, &kc, err, errlen);
  if (!t) return NULL;
  if (!t->server || !*t->server) {
    snprintf(err, errlen, "context %s has no cluster server address", t->name ? t->name : "?");
    kc_release(kc);
    return NULL;
  }
  k8s_req_t *r = ack_xcalloc(1, sizeof *r);
  r->b = b;
  r->kc = kc;
  r->t = t;
  r->done = done;
  r->ud = ud;
  r->method = ack_strdup(o->method ? o->method : "GET");
  r->url = build_url(t->server, o->path, o->query);
  if (o->body) {
    r->body = ack_xmalloc(o->body_len + 1);
    memcpy(r->body, o->body, o->body_len);
    r->body[o->body_len] = '\0';
    r->body_len = o->body_len;
  }
  r->content_type = o->content_type ? ack_strdup(o->content_type) : NULL;
  r->accept = o->accept ? ack_strdup(o->accept) : NULL;
  r->timeout = o->timeout > 0 ? o->timeout : (b->cfg->kubectl_timeout > 0 ? b->cfg->kubectl_timeout : 30);
  r->max_bytes = o->max_bytes ? o->max_bytes : DEFAULT_MAX_BYTES;
  r->in_start = true;
  start_auth(r);
  r->in_start = false;
  if (r->start_err[0]) {
    snprintf(err, errlen, "%s", r->start_err);
    if (r->http) http_cancel(r->http);
    req_free(r);
    return NULL;
  }
  return r;
}

void k8s_bridge_cancel(k8s_req_t *r) {
  if (!r) return;
  if (r->auth) k8s_auth_cancel(r->auth);
  if (r->http) http_cancel(r->http);
  req_free(r);
}
