/* k8s_auth.h: the credentials of a Kubernetes target, fetched on the libuv loop: a static
 * token as is, a token file re-read when it changes (projected service account tokens
 * rotate), an exec credential plugin (client.authentication.k8s.io) run without a shell and
 * cached until its expirationTimestamp. Static client certificates are not handled here:
 * they stay on the target (cert_data/cert_file); creds carry only what a plugin returned.
 *
 * Ownership: k8s_auth_t is owned by its creator and must be freed before its loop is
 * closed (running plugins are killed; the loop must run once more to close their handles).
 * A k8s_auth_req_t lives until its callback returns or it is cancelled. Every token obtained
 * is registered with log_add_secret; none is ever logged. */
#ifndef ACK_K8S_AUTH_H
#define ACK_K8S_AUTH_H

#include "kubeconfig.h"

#include <stddef.h>
#include <uv.h>

typedef struct k8s_auth k8s_auth_t;
typedef struct k8s_auth_req k8s_auth_req_t;

/* Borrowed: valid until the callback returns. Any field may be NULL: an anonymous target
 * gets creds with every field NULL. */
typedef struct k8s_creds {
  const char *token;                  /* bearer token */
  const char *cert_pem; size_t cert_len; /* client certificate from an exec plugin */
  const char *key_pem; size_t key_len;   /* and its key */
} k8s_creds_t;

/* Exactly one of creds and err is non-NULL. err names the cause: "token file /x: No such
 * file or directory", "exec plugin aws: exit 1: <first stderr line>", "exec plugin
 * gke-gcloud-auth-plugin: not found. <the kubeconfig's installHint>", "exec plugin x: timed out after 30 s",
 * "auth-provider gcp is not supported; use an exec plugin". */
typedef void (*k8s_auth_cb)(void *ud, const k8s_creds_t *creds, const char *err);

#define K8S_AUTH_EXEC_TIMEOUT 30.0          /* seconds a plugin may run */
#define K8S_AUTH_EXEC_MAX_OUTPUT (1u << 20) /* bytes of stdout read from a plugin */
#define K8S_AUTH_EXPIRY_MARGIN 10           /* seconds before expirationTimestamp a plugin reruns */

k8s_auth_t *k8s_auth_new(uv_loop_t *loop);
/* Kills running plugins; pending requests get no callback. Safe inside a callback. */
void k8s_auth_free(k8s_auth_t *a);
/* How long a plugin may run before it is killed (tests shorten it). */
void k8s_auth_set_exec_timeout(k8s_auth_t *a, double seconds);

/* Fetches t's credentials. When they are at hand (static, token file, cached plugin
 * output) or fail at once (plugin missing), calls cb before returning and returns NULL;
 * otherwise returns a request and calls cb later from the loop. Concurrent requests for the
 * same plugin identity (user name, command, args, env; plus the cluster when the plugin gets
 * cluster info) share one run. t is borrowed for the duration of this call only. */
k8s_auth_req_t *k8s_auth_get(k8s_auth_t *a, const kube_target_t *t, k8s_auth_cb cb, void *ud);
/* Drops a pending request: its callback will not be called. The plugin run goes on and
 * its result is cached for the next request. */
void k8s_auth_cancel(k8s_auth_req_t *r);
/* Forgets t's cached credentials (after a 401): the next request re-reads the token file or
 * reruns the plugin. */
void k8s_auth_invalidate(k8s_auth_t *a, const kube_target_t *t);

#endif
