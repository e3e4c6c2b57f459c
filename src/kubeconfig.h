/* kubeconfig.h: a kubeconfig file (YAML, parsed with libyaml through yaml_codec) as the
 * clusters, users and contexts kubectl would see, resolved into one connection target per
 * context. Nothing here does I/O beyond reading the file(s) named; credentials (token file,
 * exec plugin) are fetched by k8s_auth at request time.
 *
 * Ownership: kubeconfig_t owns every string in it; free with kubeconfig_free. */
#ifndef ACK_KUBECONFIG_H
#define ACK_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* An exec credential plugin (client.authentication.k8s.io): run directly, never via a shell. */
typedef struct kube_exec {
  char *command;        /* resolved against the kubeconfig's directory when relative with a '/' */
  char **args;          /* NULL-terminated, may be empty */
  char **env;           /* "NAME=value", NULL-terminated, added to the inherited environment */
  char *api_version;    /* e.g. client.authentication.k8s.io/v1 */
  bool provide_cluster_info;
  char *install_hint;   /* shown when the command is missing, or NULL */
} kube_exec_t;

/* Everything needed to reach one cluster as one user: a context, resolved. Byte blobs are
 * the decoded PEM (from *-data fields) or NULL; file paths are absolute (relative paths in
 * the file are resolved against its directory, as kubectl does). */
typedef struct kube_target {
  char *name;                 /* context name */
  char *cluster_name, *user_name;
  char *namespace_;           /* context namespace, or NULL (= "default") */
  char *server;               /* https://host:port[/prefix] */
  char *tls_server_name;      /* or NULL */
  char *proxy_url;            /* or NULL */
  bool insecure;              /* insecure-skip-tls-verify */
  char *ca_data; size_t ca_len;       /* PEM, or NULL */
  char *ca_file;
  char *cert_data; size_t cert_len;   /* client certificate PEM, or NULL */
  char *cert_file;
  char *key_data; size_t key_len;     /* client key PEM, or NULL */
  char *key_file;
  char *token;                /* static bearer token, or NULL */
  char *token_file;           /* re-read when it changes */
  char *username, *password;  /* basic auth, or NULL */
  kube_exec_t *exec;          /* or NULL */
  char *broken;               /* why this context cannot be used (it names a cluster or user
                                 that is not defined), or NULL: the rest of the file stays usable,
                                 as kubectl leaves it after `config delete-cluster` */
  char *auth_provider;        /* legacy auth-provider name (gcp, oidc, ...): unsupported, kept
                               * so a request can say so; NULL when absent */
} kube_target_t;

typedef struct kubeconfig {
  char *path;                 /* where it came from ("<memory>" for text) */
  char *current_context;      /* or NULL */
  kube_target_t *targets;     /* one per context, in file order */
  size_t ntargets;
} kubeconfig_t;

/* Parses a kubeconfig file. Returns NULL with a precise reason in err: "not found",
 * "not YAML: line 3: ...", "context \"x\" names cluster \"y\" which is not defined", a
 * base64 field that does not decode, ... A context whose cluster or user is missing is kept
 * with `broken` saying so (kubectl fails only when that context is used; so do we). */
kubeconfig_t *kubeconfig_load(const char *path, char *err, size_t errlen);
/* The same from text held in memory (ACK's DescribeClusterUserKubeconfig); relative paths
 * are resolved against base_dir (may be NULL: the working directory). */
kubeconfig_t *kubeconfig_parse(const char *text, size_t len, const char *base_dir, char *err, size_t errlen);
/* The in-cluster service account: KUBERNETES_SERVICE_HOST/PORT, the token file and CA under
 * sa_dir (NULL: /var/run/secrets/kubernetes.io/serviceaccount). NULL with err "not running in
 * a pod: ..." when the environment or files are missing. One target named "in-cluster". */
kubeconfig_t *kubeconfig_incluster(const char *sa_dir, char *err, size_t errlen);
/* The target of a context (NULL name: the current context). NULL when there is none. */
const kube_target_t *kubeconfig_target(const kubeconfig_t *kc, const char *context);
void kubeconfig_free(kubeconfig_t *kc);

#endif
