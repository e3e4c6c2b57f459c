/* server.c: start-up, signals, hot reload wiring and graceful shutdown on one libuv loop. */
#include "server.h"

#include "ack.h"
#include "aliyun_client.h"
#include "k8s_bridge.h"
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
  aliyun_t *aliyun;
  k8s_bridge_t *k8s;
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
  aliyun_free(s->aliyun); /* after its calls, before the HTTP client its fetches use */
  s->aliyun = NULL;
  k8s_bridge_free(s->k8s); /* likewise: its requests went with the calls */
  s->k8s = NULL;
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

/* ---- tools command line -------------------------------------------------------------- */

/* The in-memory transport of `tools call`: prints the answer and stops the loop. */
typedef struct cli_out {
  server_t *s;
  bool is_error, answered;
} cli_out_t;

static int cli_send(void *tctx, const char *data, size_t len, void *origin, bool final) {
  cli_out_t *o = tctx;
  if (!data || !final || (intptr_t)origin != 2) return 0; /* notifications and initialize */
  json_t *msg = json_loadb(data, len, 0, NULL);
  json_t *result = json_object_get(msg, "result"), *error = json_object_get(msg, "error");
  char *text = json_dumps(result ? result : error, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
  printf("%s\n", text ? text : "");
  free(text);
  o->is_error = error || json_is_true(json_object_get(result, "isError"));
  o->answered = true;
  json_decref(msg);
  uv_stop(&o->s->loop);
  return 0;
}

static const mcp_transport_t cli_transport = { cli_send, "cli" };

static void print_kind(server_t *s, reg_kind_t kind, const char *label) {
  bool more;
  json_t *items = registry_list(s->reg, kind, 0, (size_t)-1, &more);
  size_t i;
  json_t *d;
  json_array_foreach(items, i, d) {
    const char *name = json_string_value(json_object_get(d, "name"));
    const char *key = json_string_value(json_object_get(d, kind == REG_TEMPLATE ? "uriTemplate" : "uri"));
    const char *title = json_string_value(json_object_get(d, "title"));
    json_t *ann = json_object_get(d, "annotations");
    bool ro = kind != REG_TOOL || json_is_true(json_object_get(ann, "readOnlyHint"));
    printf("%-9s %-32s %-6s %s%s%s\n", label, name ? name : "?", ro ? "read" : "write", title ? title : "",
           key ? "  " : "", key ? key : "");
  }
  json_decref(items);
}

/* Runs one `tools` command on a set-up server; returns the exit code. */
static int run_cli(server_t *s, const server_cli_t *cli, int failures) {
  if (strcmp(cli->verb, "check") == 0) {
    printf("%zu tools loaded from %s%s; %d file%s failed (errors above)\n", registry_count(s->reg),
           s->cfg->tools_dirs ? s->cfg->tools_dirs[0] : s->default_tools[0], s->cfg->tools_dirs && s->cfg->tools_dirs[1] ? " and more" : "",
           failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
  }
  if (strcmp(cli->verb, "list") == 0) {
    print_kind(s, REG_TOOL, "tool");
    print_kind(s, REG_PROMPT, "prompt");
    print_kind(s, REG_RESOURCE, "resource");
    print_kind(s, REG_TEMPLATE, "template");
    return failures ? 1 : 0;
  }
  cli_out_t out = { .s = s };
  mcp_session_t *session = mcp_session_new(s->mcp, &cli_transport, &out);
  static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                             "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"ack-mcp-server tools call\",\"version\":\"1\"}}}";
  mcp_session_handle(session, init, sizeof init - 1, (void *)(intptr_t)1);
  json_t *args = cli->args ? json_loads(cli->args, 0, NULL) : json_object();
  if (!json_is_object(args)) {
    fprintf(stderr, "%s: tools call %s: arguments must be a JSON object, got: %s\n", ACK_NAME, cli->name, cli->args);
    json_decref(args);
    mcp_session_close(session);
    return 2;
  }
  json_t *req = json_pack("{s:s,s:i,s:s,s:{s:s,s:o}}", "jsonrpc", "2.0", "id", 2, "method", "tools/call", "params", "name",
                          cli->name, "arguments", args);
  char *text = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  mcp_session_handle(session, text, strlen(text), (void *)(intptr_t)2);
  free(text);
  if (!out.answered) uv_run(&s->loop, UV_RUN_DEFAULT); /* until cli_send stops it */
  mcp_session_close(session);
  return out.is_error ? 1 : 0;
}

/* ---- run ---------------------------------------------------------------------------- */

int server_run(config_t *cfg, const server_cli_t *cli) {
  server_t *s = ack_xcalloc(1, sizeof *s);
  s->cfg = cfg;
  log_set_level(cfg->log_level);
  log_add_secret(cfg->access_key_secret);
  log_add_secret(cfg->auth_token);
  log_add_secret(cfg->state_secret);
  if (cfg->show_secrets) log_warn("--show-secrets: tool results show secret values unredacted (Secret data, tokens, credential-like env values)");
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
  lua_host_set_config(s->host, cfg);
  s->http_client = http_client_new(&s->loop);
  lua_host_set_http(s->host, s->http_client);
  s->aliyun = aliyun_new(&s->loop, s->http_client, cfg, &s->gate);
  lua_host_set_service(s->host, HOST_SVC_ALIYUN, s->aliyun);
  s->k8s = k8s_bridge_new(&s->loop, s->http_client, cfg);
  lua_host_set_service(s->host, HOST_SVC_K8S, s->k8s);
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
  int failures = registry_reload(s->reg);
  if (cfg->dev && !cli) registry_watch(s->reg);

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
  if (cli) {
    s->exit_code = run_cli(s, cli, failures);
    rc = -1; /* done: straight to teardown */
  } else if (strcmp(cfg->transport, "stdio") == 0) {
    s->stdio = stdio_new(&s->loop, s->mcp, cfg->max_message_bytes, on_stdin_eof, s);
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
