/* k8s_bridge.h: the server's way to kube-apiserver. It knows where clusters are (the LOCAL
 * kubeconfig, re-read when the file changes; the in-cluster service account; kubeconfigs
 * fetched for ACK clusters, held in memory until they expire), gets each request its
 * credentials (k8s_auth), and sends it on the event loop through http_client with the
 * target's TLS settings. One 401 on a refreshable credential (token file, exec plugin)
 * refreshes it and tries once more. The write gate is the caller's (lua_bind_k8s.c).
 *
 * Ownership: the bridge is owned by the server. A request belongs to the bridge until its
 * callback has returned or it was cancelled (then no callback comes). */
#ifndef ACK_K8S_BRIDGE_H
#define ACK_K8S_BRIDGE_H

#include "config.h"
#include "http_client.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct k8s_bridge k8s_bridge_t;
typedef struct k8s_req k8s_req_t;

/* Which cluster: a kubeconfig context (NULL: the current one, or the in-cluster account in
 * INCLUSTER mode), or a key given to k8s_bridge_add (an ACK cluster). */
typedef struct k8s_where {
  const char *context;
  const char *key;
} k8s_where_t;

typedef struct k8s_opts {
  k8s_where_t where;
  const char *method;         /* GET when NULL */
  const char *path;           /* /api/v1/namespaces/x/pods (no query) */
  const json_t *query;        /* object: name -> string|number|bool, or NULL */
  const char *body;
  size_t body_len;
  const char *content_type;   /* NULL: application/json when there is a body */
  const char *accept;         /* NULL: application/json */
  double timeout;             /* seconds; <= 0: the bridge default (--kubectl-timeout) */
  size_t max_bytes;           /* response cap; 0: 64 MiB */
} k8s_opts_t;

/* resp->error_code is set for transport failures (Timeout, ConnectionFailed, TLSError,
 * TooLarge) and for "NoCluster"/"AuthFailed" (resolution or credentials). */
typedef void (*k8s_done_cb)(void *ud, http_response_t *resp);

k8s_bridge_t *k8s_bridge_new(uv_loop_t *loop, http_client_t *http, const config_t *cfg);
void k8s_bridge_free(k8s_bridge_t *b);

/* Starts a request. NULL with err set when it cannot start: no such context, kubeconfig
 * missing or invalid, not in a pod (the message says which setting to change). */
k8s_req_t *k8s_bridge_request(k8s_bridge_t *b, const k8s_opts_t *o, k8s_done_cb done, void *ud, char *err, size_t errlen);
void k8s_bridge_cancel(k8s_req_t *r);

/* What a where resolves to: {name, cluster, user, namespace, server, source} (new ref), or
 * NULL with err set. */
json_t *k8s_bridge_resolve(k8s_bridge_t *b, const k8s_where_t *w, char *err, size_t errlen);
/* Every context of the LOCAL kubeconfig: [{name, cluster, user, namespace, server, current}]
 * (new ref), or NULL with err set. */
json_t *k8s_bridge_contexts(k8s_bridge_t *b, char *err, size_t errlen);
/* Holds a kubeconfig fetched for key (its current context is used) until expires_at (Unix
 * seconds; 0: no expiry). The text is parsed at once and not kept. Returns 0 or ACK_EINVAL. */
int k8s_bridge_add(k8s_bridge_t *b, const char *key, const char *text, size_t len, double expires_at, char *err, size_t errlen);
/* Whether key is held and not expired. */
bool k8s_bridge_has(k8s_bridge_t *b, const char *key);
void k8s_bridge_drop(k8s_bridge_t *b, const char *key);

#endif
