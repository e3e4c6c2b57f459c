/* server.c: start-up, signals, hot reload wiring and graceful shutdown on one libuv loop. */
#include "server.h"

#include "ack.h"
#include "log.h"
#include "lua_host.h"
#include "mcp.h"
#include "tool_registry.h"
#include "transport_http.h"
#include "transport_stdio.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef ACK_SOURCE_DIR
#define ACK_SOURCE_DIR "."
#endif
#ifndef ACK_DATA_DIR
#define ACK_DATA_DIR "/usr/local/share/ack-mcp-server"
#endif

#define DRAIN_POLL_MS 20
#define FLUSH_LIMIT_MS 2000 /* how long shutdown waits for stdout to take our last answers */

typedef struct server {
  config_t *cfg;
  uv_loop_t loop;
  lua_host_t *host;
  registry_t *reg;
  mcp_t *mcp;
  gate_t gate;
  http_client_t *http_client;
  stdio_transport_t *stdio;
  http_server_t *http;
  metrics_t *metrics;
  uv_signal_t sigint, sigterm, sighup;
  uv_timer_t grace, poll;
  uint64_t flush_deadline;
  bool stopping, cancelled, closing;
  int exit_code;
  char *default_tools[2];
  char *lua_dir;
} server_t;

static bool is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The checked-out or installed directory `name`: next to the binary's parent (build/ in a
 * checkout), then the install prefix, then the source tree the binary was built from. */
static char *find_data_dir(const char *name) {
  char exe[PATH_MAX];
  size_t n = sizeof exe;
  char path[PATH_MAX + 64];
  if (uv_exepath(exe, &n) == 0) {
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      snprintf(path, sizeof path, "%s/../%s", exe, name);
      if (is_dir(path)) return realpath(path, NULL);
    }
  }
  snprintf(path, sizeof path, "%s/%s", ACK_DATA_DIR, name);
  if (is_dir(path)) return ack_strdup(path);
  snprintf(path, sizeof path, "%s/%s", ACK_SOURCE_DIR, name);
  return ack_strdup(path);
}

/* ---- shutdown ----------------------------------------------------------------------- */

static void close_all(server_t *s) {
  if (s->closing) return;
  s->closing = true;
  uv_timer_stop(&s->grace);
  uv_timer_stop(&s->poll);
  if (s->stdio) stdio_free(s->stdio);
  s->stdio = NULL;
  if (s->http) http_free(s->http);
  registry_free(s->reg);
  s->reg = NULL;
  lua_host_free(s->host); /* cancels calls, and with them their HTTP requests */
  s->host = NULL;
  http_client_free(s->http_client);
  uv_close((uv_handle_t *)&s->sigint, NULL);
  uv_close((uv_handle_t *)&s->sigterm, NULL);
  uv_close((uv_handle_t *)&s->sighup, NULL);
  uv_close((uv_handle_t *)&s->grace, NULL);
  uv_close((uv_handle_t *)&s->poll, NULL);
}

/* Waits for calls to end, then for stdout to drain, then closes everything. */
static void on_poll(uv_timer_t *t) {
  server_t *s = t->data;
  if (mcp_active_calls(s->mcp) > 0) return;
  if (!s->flush_deadline) s->flush_deadline = uv_now(&s->loop) + FLUSH_LIMIT_MS;
  if (s->stdio && stdio_pending_output(s->stdio) > 0 && uv_now(&s->loop) < s->flush_deadline) return;
  if (s->http && http_connections(s->http) > 0 && uv_now(&s->loop) < s->flush_deadline) return;
  close_all(s);
}

static void on_grace(uv_timer_t *t) {
  server_t *s = t->data;
  if (mcp_active_calls(s->mcp) > 0) {
    log_warn("shutdown: cancelling %d tool calls still running after %.3g s", mcp_active_calls(s->mcp),
             s->cfg->shutdown_grace);
    s->cancelled = true;
    mcp_cancel_all(s->mcp, "server shutting down");
  }
}

static void begin_shutdown(server_t *s, const char *why) {
  if (s->stopping) {
    if (!s->cancelled) {
      log_warn("second stop request: cancelling running calls now");
      s->cancelled = true;
      mcp_cancel_all(s->mcp, "server shutting down");
    }
    return;
  }
  s->stopping = true;
  log_info("shutting down (%s); %d tool calls running", why, mcp_active_calls(s->mcp));
  if (s->stdio) stdio_stop_reading(s->stdio);
  if (s->http) http_drain(s->http);
  mcp_drain(s->mcp);
  uv_timer_start(&s->grace, on_grace, (uint64_t)(s->cfg->shutdown_grace * 1000.0), 0);
  uv_timer_start(&s->poll, on_poll, 0, DRAIN_POLL_MS);
}

static void on_stdin_eof(void *ud) { begin_shutdown(ud, "stdin closed"); }

static void on_signal(uv_signal_t *h, int signum) {
  server_t *s = h->data;
  if (signum == SIGHUP) {
    log_info("SIGHUP: reloading tools");
    registry_reload(s->reg);
    return;
  }
  begin_shutdown(s, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* ---- registry callbacks ------------------------------------------------------------- */

static void on_list_changed(void *ud, unsigned kinds) {
  server_t *s = ud;
  metrics_reload(s->metrics, true);
  mcp_list_changed(s->mcp, kinds);
}

static void on_tool_error(void *ud, const char *file, const char *msg) {
  ACK_UNUSED(file);
  server_t *s = ud;
  metrics_reload(s->metrics, false);
  if (s->mcp) mcp_log(s->mcp, LOG_ERROR, "tools", msg);
}

/* ---- run ---------------------------------------------------------------------------- */

static void warn_inert(const char *flag, const char *reason) {
  log_warn("--%s is set but has no effect yet: %s", flag, reason);
}

int server_run(config_t *cfg) {
  server_t *s = ack_xcalloc(1, sizeof *s);
  s->cfg = cfg;
  log_set_level(cfg->log_level);
  log_add_secret(cfg->access_key_secret);
  log_add_secret(cfg->auth_token);
  log_add_secret(cfg->state_secret);
  config_inert(cfg, warn_inert);
  uv_loop_init(&s->loop);
  s->loop.data = s;

  char err[512] = "";
  host_limits_t limits = {
    .heap_bytes = cfg->lua_memory_mb << 20,
    .call_bytes = cfg->lua_call_memory_mb << 20,
    .call_instructions = cfg->lua_max_instructions,
    .state_secret = cfg->state_secret,
  };
  s->host = lua_host_new(&s->loop, &limits, err, sizeof err);
  if (!s->host) {
    log_error("%s", err);
    uv_loop_close(&s->loop);
    free(s);
    return 1;
  }
  s->gate.allow_write = cfg->allow_write;
  lua_host_set_gate(s->host, &s->gate);
  s->http_client = http_client_new(&s->loop);
  lua_host_set_http(s->host, s->http_client);
  s->lua_dir = cfg->lua_dir ? ack_strdup(cfg->lua_dir) : find_data_dir("lua");
  char **dirs = cfg->tools_dirs;
  if (!dirs) {
    s->default_tools[0] = find_data_dir("tools");
    dirs = s->default_tools;
  }
  registry_policy_t policy = { cfg->allow_write, cfg->disable_destructive, cfg->toolsets };
  registry_cbs_t cbs = { on_list_changed, on_tool_error, s };
  s->reg = registry_new(s->host, dirs, s->lua_dir, &policy, &cbs);
  s->metrics = metrics_new();
  s->mcp = mcp_new(cfg, s->host, s->reg, s->metrics);
  registry_reload(s->reg);
  if (cfg->dev) registry_watch(s->reg);

  uv_signal_init(&s->loop, &s->sigint);
  uv_signal_init(&s->loop, &s->sigterm);
  uv_signal_init(&s->loop, &s->sighup);
  s->sigint.data = s->sigterm.data = s->sighup.data = s;
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_signal_start(&s->sighup, on_signal, SIGHUP);
  uv_timer_init(&s->loop, &s->grace);
  uv_timer_init(&s->loop, &s->poll);
  s->grace.data = s->poll.data = s;

  int rc = 0;
  if (strcmp(cfg->transport, "stdio") == 0) {
    s->stdio = stdio_new(&s->loop, s->mcp, cfg->max_message_bytes, on_stdin_eof, s, err, sizeof err);
    log_info("%s %s ready on stdio: %zu tools, lua %s%s%s", ACK_NAME, ACK_VERSION, registry_count(s->reg), s->lua_dir,
             cfg->allow_write ? ", writes allowed" : ", read-only", cfg->dev ? ", dev mode (hot reload)" : "");
  } else {
    s->http = http_new(&s->loop, s->mcp, s->host, s->metrics, cfg, err, sizeof err);
    if (http_failed(s->http)) {
      log_error("%s", err);
      s->exit_code = 1;
      rc = -1;
    } else {
      http_set_ready(s->http, registry_generation(s->reg) > 0);
      log_info("%s %s listening on %s://%s:%d (/mcp: Streamable HTTP and WebSocket; /sse: legacy SSE): %zu tools%s%s",
               ACK_NAME, ACK_VERSION, cfg->tls_cert ? "https" : "http", cfg->host, cfg->port, registry_count(s->reg),
               cfg->allow_write ? ", writes allowed" : ", read-only", cfg->auth_token ? ", bearer token required" : "");
    }
  }
  if (rc != 0) close_all(s);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  close_all(s);
  uv_run(&s->loop, UV_RUN_DEFAULT); /* close callbacks */
  if (s->http) {
    http_release(s->http);
    uv_run(&s->loop, UV_RUN_DEFAULT);
  }
  rc = s->exit_code;
  mcp_free(s->mcp);
  metrics_free(s->metrics);
  if (uv_loop_close(&s->loop) != 0) log_debug("loop closed with handles still open");
  free(s->default_tools[0]);
  free(s->lua_dir);
  free(s);
  return rc;
}
