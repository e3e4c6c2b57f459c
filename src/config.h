/* config.h: every setting of the server, from flags, environment, .env, a Lua config file
 * and defaults, in that order of precedence. Upstream names are kept so existing users can
 * switch: --region/REGION_ID, --allow-write, CACHE_TTL, FASTMCP_LOG_LEVEL, DEVELOPMENT, ... */
#ifndef ACK_CONFIG_H
#define ACK_CONFIG_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct config {
  /* transport */
  char *transport;              /* stdio | http | sse | ws | streamable-http */
  char *host;
  int port;
  char *allowed_origins;
  char *auth_token;
  char *tls_cert, *tls_key;
  bool allow_request_credentials;
  int max_sessions;             /* HTTP/WebSocket/SSE sessions at once */
  int max_inflight;             /* requests in flight per session */
  double session_idle;          /* seconds before an idle HTTP session expires */
  int max_header_bytes;
  size_t max_queued_bytes;      /* output queued for one slow client before it is dropped */
  /* tools */
  char **tools_dirs;            /* NULL-terminated */
  char *lua_dir;
  char *toolsets;               /* comma list, NULL = all */
  bool dev;
  bool allow_write;
  bool disable_destructive;
  int page_size;
  /* limits */
  size_t max_message_bytes;
  size_t lua_memory_mb;         /* whole Lua heap */
  size_t lua_call_memory_mb;    /* one tool call */
  long long lua_max_instructions; /* one tool call */
  double tool_timeout;          /* seconds, wall clock per call */
  double shutdown_grace;        /* seconds */
  size_t max_output_bytes;
  log_level_t log_level;
  char *audit_log;
  char *state_secret;           /* shared by replicas: signs 2026-07-28 requestState */
  bool show_secrets;
  /* cloud and cluster (used by the bridges) */
  char *region;
  char *access_key_id, *access_key_secret;
  char *default_cluster_id;
  char *kubeconfig_mode, *kubeconfig_path;
  char **endpoints;             /* "product=URL", NULL-terminated */
  char **signatures;            /* "product=scheme" (aliyun_sign.h names), NULL-terminated */
  int cache_ttl, cache_max_size;
  double api_timeout, kubectl_timeout;
  double diagnose_timeout, diagnose_poll_interval; /* diagnosis and inspection waits */
  /* where it came from */
  char *config_file;
} config_t;

/* Outcome of config_load beyond success. */
enum { CONFIG_EXIT_OK = 1 /* --help or --version printed: exit 0 */ };

/* Fills cfg from defaults < config file < .env (in the working directory) < environment <
 * argv. Returns 0, CONFIG_EXIT_OK after printing help/version, or ACK_EINVAL with a one-line
 * reason in err (the caller prints it and exits 2). cfg must be zeroed; free with config_free. */
int config_load(config_t *cfg, int argc, char **argv, char *err, size_t errlen);
void config_free(config_t *cfg);
/* Prints the --help text to f (a FILE *). */
void config_usage(void *f);

#endif
