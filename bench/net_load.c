/* net_load.c: load generator for an MCP server's network transports: WebSocket
 * (ws://HOST:PORT/mcp, subprotocol "mcp"), Streamable HTTP with sessions (2025-11-25) and
 * stateless Streamable HTTP (2026-07-28), all on 127.0.0.1. It spawns the server itself
 * (fork/exec of the command after "--", which must listen on --port), so it knows its pid,
 * sees a crash the moment it happens, and can read its memory (an argument "{port}" in the
 * command is replaced by the port). One run, in order:
 *
 *   baseline       VmRSS of the fresh server once it accepts connections
 *   setup          N clients connect (at most --connect-batch handshaking at once) and open a
 *                  session: WebSocket upgrade + initialize + notifications/initialized, or
 *                  POST initialize (-> Mcp-Session-Id) + POST notifications/initialized (202);
 *                  stateless clients only connect
 *   idle memory    VmRSS with the N sessions open and idle, minus the baseline, per session
 *   load           every client keeps --depth tools/call get_current_time in flight (a new
 *                  one goes out as soon as an answer arrives): --warmup-seconds untimed, then
 *                  --seconds measured. calls/s counts the answers that arrive in the measured
 *                  window; latency is send-to-answer of those calls
 *   drain          the calls still in flight are awaited (and checked)
 *   after load     VmRSS / VmHWM; then every connection is closed and VmRSS read again (HTTP
 *                  sessions outlive their connections, WebSocket sessions do not)
 *   shutdown       SIGTERM; the server must exit 0
 *
 * It also reads the server's /metrics (on a connection of its own) before the setup, when
 * idle, after the load and after the close: open sessions, Lua heap, and the tool calls the
 * server counted, which must equal the answers checked here (bench/run-net compares them).
 *
 * Every answer is checked: HTTP status 200 application/json (202 for the notification), a
 * JSON object whose "id" is the one in flight, a "result", no "error", no "isError":true, and
 * the text "current_time_unix"; the WebSocket handshake must answer 101 with the right
 * Sec-WebSocket-Accept and subprotocol "mcp". A wrong answer, a server that closes a
 * connection, a WebSocket close frame, no answer within --timeout-ms, or a server crash
 * prints "net_load: FAIL ..." with the client, the request, the answer and the server's
 * status, and exits 1. Exit 3 means the server exited before it listened (port in use?).
 *
 * Output: one "key value" line per figure on stdout.
 *
 * usage: net_load --port P --transport ws|http|stateless [options] -- SERVER-COMMAND [ARGS...]
 *   --clients N           concurrent clients, each on its own connection (default 1)
 *   --depth D             calls in flight per client (WebSocket only; default 1)
 *   --seconds S           measured load (default 2)
 *   --warmup-seconds W    untimed load before it (default 0.5)
 *   --idle-ms T           settle time before each memory reading (default 300)
 *   --connect-batch K     clients handshaking at once during setup (default 256)
 *   --timeout-ms T        longest wait for any answer (default 10000)
 *   --wait-ms T           longest wait for the server to listen (default 5000)
 *   --cpu N, --server-cpu N   pin this process / the server to a CPU
 *   --setup-only connect|upgrade  memory only: hold N bare TCP connections (or N WebSocket
 *                         connections upgraded but with no initialize), no load
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load_common.h"

#define MAX_DEPTH 256
#define PROTO_SESSION "2025-11-25"
#define PROTO_STATELESS "2026-07-28"

/* ---- options ------------------------------------------------------------------------ */

enum { T_WS, T_HTTP, T_STATELESS };
static int opt_transport = -1;
static const char *opt_host = "127.0.0.1";
static int opt_port = 0;
static long opt_clients = 1;
static int opt_depth = 1;
static double opt_seconds = 2;
static double opt_warmup = 0.5;
static int opt_idle_ms = 300;
static long opt_connect_batch = 256;
static int opt_timeout_ms = 10000;
static int opt_wait_ms = 5000;
static int opt_cpu = -1, opt_server_cpu = -1;
static int opt_setup_only = 0; /* 1: TCP connect only, 2: + WebSocket upgrade; then no load */
static const char *const transport_names[] = { "ws", "http", "stateless" };

/* ---- time, failure, the server process ------------------------------------------------ */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t server_pid = -1;
static int server_status = -1; /* wait status once reaped */
static const char *phase = "start";
static double t_start;

static void describe_status(int st, char *out, size_t n) {
  if (WIFSIGNALED(st))
    snprintf(out, n, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
             WCOREDUMP(st) ? ", core dumped" : "");
  else snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
}

/* Reaps the server if it has ended; true if it is still running. */
static bool server_alive(void) {
  if (server_pid <= 0) return false;
  int st;
  pid_t r = waitpid(server_pid, &st, WNOHANG);
  if (r == server_pid) {
    server_status = st;
    server_pid = -1;
    return false;
  }
  return true;
}

static void server_state(char *out, size_t n) {
  if (server_alive()) snprintf(out, n, "still running (pid %d)", (int)server_pid);
  else if (server_status != -1) describe_status(server_status, out, n);
  else snprintf(out, n, "not started");
}

static char fail_context[1200]; /* the client, its last request, set by the caller */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char st[160];
  for (int i = 0; i < 50 && server_alive(); i++) { /* a dying server: let its status be known */
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
  }
  server_state(st, sizeof st);
  fprintf(stderr, "net_load: FAIL [%s, %ld clients, depth %d] in phase '%s' at t=%.3fs: %s\n",
          opt_transport >= 0 ? transport_names[opt_transport] : "?", opt_clients, opt_depth, phase,
          now() - t_start, msg);
  if (fail_context[0]) fprintf(stderr, "net_load:   %s\n", fail_context);
  fprintf(stderr, "net_load:   server: %s\n", st);
  if (server_pid > 0) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)server_pid);
    FILE *f = fopen(path, "r");
    if (f) {
      while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6) || !strncmp(line, "VmHWM:", 6)) fprintf(stderr, "net_load:   server %s", line);
      fclose(f);
    }
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
  }
  exit(1);
}

/* Quotes at most 400 bytes for an error message (unprintable bytes as '.'). */
static const char *excerpt(const char *s, size_t n) {
  static char buf[2][480];
  static int which;
  char *b = buf[which ^= 1];
  size_t k = n < 400 ? n : 400;
  for (size_t i = 0; i < k; i++) {
    unsigned char c = (unsigned char)s[i];
    b[i] = c == '\r' ? '|' : c == '\n' ? '/' : (c < 32 || c > 126) ? '.' : (char)c;
  }
  b[k] = '\0';
  if (k < n) snprintf(b + k, sizeof buf[0] - k, "... (%zu bytes)", n);
  return b;
}


static void spawn(char **argv) {
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", strerror(errno));
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (opt_server_cpu >= 0) pin(opt_server_cpu);
    execvp(argv[0], argv);
    fprintf(stderr, "net_load: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  server_pid = pid;
}

static long status_kb(const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)server_pid);
  FILE *f = fopen(path, "r");
  if (!f) fail("open %s: %s", path, strerror(errno));
  long v = -1;
  size_t fl = strlen(field);
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
      v = strtol(line + fl + 1, NULL, 10);
      break;
    }
  fclose(f);
  if (v < 0) fail("no %s in %s", field, path);
  return v;
}

/* utime + stime of the server, in seconds. */
static double server_cpu(void) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)server_pid);
  FILE *f = fopen(path, "r");
  if (!f) fail("open %s: %s", path, strerror(errno));
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  unsigned long long ut = 0, st = 0;
  if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    fail("bad %s", path);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds spent by the whole machine (all CPUs, everything but idle and iowait). */
static double machine_cpu(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) fail("open /proc/stat: %s", strerror(errno));
  unsigned long long v[8] = { 0 };
  int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (k != 8) fail("bad /proc/stat");
  return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the server's /metrics ------------------------------------------------------------ */

typedef struct {
  bool ok;
  double sessions;    /* ack_mcp_sessions, all transports */
  double lua_bytes;   /* ack_mcp_lua_memory_bytes */
  double tool_calls;  /* ack_mcp_tool_calls_total, all outcomes */
  double tool_ok;     /* ... outcome="ok" */
  double tool_seconds; /* ack_mcp_tool_call_seconds_sum */
} metrics_t;

static struct sockaddr_in server_addr;

/* GET /metrics on a connection of its own (blocking, 2 s at most); ok=false if it fails. */
static metrics_t scrape_metrics(const char *host_header) {
  metrics_t m = { 0 };
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return m;
  struct timeval tv = { 2, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  static char buf[1 << 20];
  size_t n = 0;
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) == 0) {
    int k = snprintf(buf, sizeof buf, "GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host_header);
    if (send(fd, buf, (size_t)k, MSG_NOSIGNAL) == k) {
      ssize_t r;
      while (n < sizeof buf - 1 && (r = recv(fd, buf + n, sizeof buf - 1 - n, 0)) > 0) {
        n += (size_t)r;
        char *e = memmem(buf, n, "\r\n\r\n", 4);
        const char *cl = e ? strcasestr(buf, "content-length:") : NULL;
        if (e && cl && cl < e && n >= (size_t)(e + 4 - buf) + strtoul(cl + 15, NULL, 10)) break;
      }
    }
  }
  close(fd);
  buf[n] = '\0';
  char *body = strstr(buf, "\r\n\r\n");
  if (n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0 || !body) {
    fprintf(stderr, "net_load: GET /metrics failed in phase '%s': %s\n", phase, n ? excerpt(buf, n) : "no answer");
    return m;
  }
  m.ok = true;
  for (char *line = body + 4; line && *line; ) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (*line && *line != '#') {
      char *sp = strrchr(line, ' ');
      double v = sp ? strtod(sp + 1, NULL) : 0;
#define IS(name) (strncmp(line, name, sizeof(name) - 1) == 0 && (line[sizeof(name) - 1] == '{' || line[sizeof(name) - 1] == ' '))
      if (IS("ack_mcp_sessions")) m.sessions += v;
      else if (IS("ack_mcp_lua_memory_bytes")) m.lua_bytes += v;
      else if (IS("ack_mcp_tool_calls_total")) {
        m.tool_calls += v;
        if (strstr(line, "outcome=\"ok\"")) m.tool_ok += v;
      } else if (IS("ack_mcp_tool_call_seconds_sum")) m.tool_seconds += v;
#undef IS
    }
    line = nl ? nl + 1 : NULL;
  }
  return m;
}

/* ---- checking JSON answers (the top-level keys only) --------------------------------- */


/* ---- clients -------------------------------------------------------------------------- */

typedef enum { S_FREE, S_CONNECTING, S_UPGRADE, S_INIT, S_NOTIFY, S_READY, S_CLOSED } state_t;
static const char *const state_names[] = { "not started", "connecting", "WebSocket upgrade sent",
                                           "initialize sent", "notifications/initialized sent",
                                           "ready", "closed" };

typedef struct {
  int fd;
  long idx;
  state_t st;
  char *rb;
  size_t rlen, rcap;
  char *wb; /* output the socket did not take yet */
  size_t wlen, woff, wcap;
  bool want_out;
  char sid[128];
  char ws_accept[32];
  char *frag; /* a fragmented WebSocket message */
  size_t flen, fcap;
  long long next_id;
  int inflight;
  long long ids[MAX_DEPTH];
  double sent[MAX_DEPTH];
  double t_setup; /* when it started connecting */
  long calls;     /* answered in the measured window */
  uint32_t mask_seed;
  char last[400]; /* the last request, for failure reports */
} client_t;

static client_t *clients;
static int ep = -1;
static long n_ready, n_setup_started, n_handshaking, n_inflight_total;
static long notifications_seen, pings_seen;

typedef enum { P_SETUP, P_IDLE, P_WARM, P_MEASURE, P_DRAIN, P_CLOSE } load_phase_t;
static load_phase_t lphase = P_SETUP;
static double *lat;
static long lat_n, lat_cap;
static long calls_total;
static double last_answer;          /* when the last call was answered (any client) */
static double max_gap;              /* longest time without an answer in the measured window */
static long gaps_over_5ms;          /* how many such silences lasted over 5 ms */
static long rss_max_sampled;        /* highest VmRSS seen while under load */

static void set_context(client_t *c) {
  snprintf(fail_context, sizeof fail_context, "client %ld (state: %s, %d in flight%s%s); its last request: %s",
           c->idx, state_names[c->st], c->inflight, c->sid[0] ? ", session " : "", c->sid,
           c->last[0] ? c->last : "(none)");
}

#define CFAIL(c, ...)  \
  do {                 \
    set_context(c);    \
    fail(__VA_ARGS__); \
  } while (0)

static void ensure(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t n = *cap ? *cap : 4096;
  while (n < need) n *= 2;
  char *p = realloc(*buf, n);
  if (!p) fail("out of memory");
  *buf = p;
  *cap = n;
}

static void remember(client_t *c, const char *req, size_t n) {
  snprintf(c->last, sizeof c->last, "%s", excerpt(req, n));
}

static void watch(client_t *c, bool out) {
  struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) CFAIL(c, "epoll_ctl: %s", strerror(errno));
  c->want_out = out;
}

static void flush_out(client_t *c) {
  while (c->woff < c->wlen) {
    ssize_t w = send(c->fd, c->wb + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      CFAIL(c, "send: %s", strerror(errno));
    }
    c->woff += (size_t)w;
  }
  if (c->woff == c->wlen) {
    c->woff = c->wlen = 0;
    if (c->want_out) watch(c, false);
  } else if (!c->want_out) watch(c, true);
}

/* Queues bytes and sends what the socket takes now. */
static void out(client_t *c, const void *p, size_t n) {
  ensure(&c->wb, &c->wcap, c->wlen + n);
  memcpy(c->wb + c->wlen, p, n);
  c->wlen += n;
  if (!c->want_out) flush_out(c);
}

static uint32_t xorshift(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

/* One masked WebSocket frame (client frames must be masked). */
static void ws_frame(client_t *c, int opcode, const char *p, size_t n) {
  unsigned char h[14];
  size_t hl = 0;
  h[hl++] = (unsigned char)(0x80 | opcode);
  if (n < 126) h[hl++] = (unsigned char)(0x80 | n);
  else if (n < 65536) {
    h[hl++] = 0x80 | 126;
    h[hl++] = (unsigned char)(n >> 8);
    h[hl++] = (unsigned char)n;
  } else {
    h[hl++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) h[hl++] = (unsigned char)((uint64_t)n >> (8 * i));
  }
  uint32_t m = xorshift(&c->mask_seed);
  unsigned char mk[4] = { (unsigned char)m, (unsigned char)(m >> 8), (unsigned char)(m >> 16), (unsigned char)(m >> 24) };
  memcpy(h + hl, mk, 4);
  hl += 4;
  char buf[2048];
  if (hl + n > sizeof buf) fail("frame too long");
  memcpy(buf, h, hl);
  for (size_t i = 0; i < n; i++) buf[hl + i] = (char)(p[i] ^ mk[i & 3]);
  out(c, buf, hl + n);
}

static char http_host[64];

/* One POST /mcp. kind: 0 initialize/notification with the session headers as they stand, 1 a
 * stateless tools/call. */
static void http_post(client_t *c, const char *body, size_t n, bool stateless) {
  char buf[2048];
  int k;
  if (stateless)
    k = snprintf(buf, sizeof buf,
                 "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                 "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: " PROTO_STATELESS "\r\n"
                 "Mcp-Method: tools/call\r\nMcp-Name: get_current_time\r\nContent-Length: %zu\r\n\r\n",
                 http_host, n);
  else if (c->sid[0])
    k = snprintf(buf, sizeof buf,
                 "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                 "Accept: application/json, text/event-stream\r\nMcp-Session-Id: %s\r\n"
                 "MCP-Protocol-Version: " PROTO_SESSION "\r\nContent-Length: %zu\r\n\r\n",
                 http_host, c->sid, n);
  else
    k = snprintf(buf, sizeof buf,
                 "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                 "Accept: application/json, text/event-stream\r\nContent-Length: %zu\r\n\r\n",
                 http_host, n);
  if (k < 0 || (size_t)k + n > sizeof buf) fail("request too long");
  memcpy(buf + k, body, n);
  remember(c, buf, (size_t)k + n);
  out(c, buf, (size_t)k + n);
}

static void send_message(client_t *c, const char *body, size_t n) {
  if (opt_transport == T_WS) {
    remember(c, body, n);
    ws_frame(c, 1, body, n);
  } else http_post(c, body, n, opt_transport == T_STATELESS);
}

static void send_initialize(client_t *c) {
  static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" PROTO_SESSION
                             "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"net_load\",\"version\":\"1\"}}}";
  c->st = S_INIT;
  c->inflight = 1;
  c->ids[0] = 0;
  c->sent[0] = now();
  send_message(c, body, sizeof body - 1);
}

static void became_ready(client_t *c) {
  c->st = S_READY;
  c->inflight = 0;
  n_ready++;
  n_handshaking--;
}

static void send_call(client_t *c) {
  char body[512];
  long long id = c->next_id++;
  int k;
  if (opt_transport == T_STATELESS)
    k = snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/call\",\"params\":{\"name\":\"get_current_time\",\"arguments\":{},"
                 "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" PROTO_STATELESS
                 "\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
                 id);
  else
    k = snprintf(body, sizeof body,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/call\",\"params\":{\"name\":\"get_current_time\",\"arguments\":{}}}",
                 id);
  c->ids[c->inflight] = id;
  c->sent[c->inflight] = now();
  c->inflight++;
  n_inflight_total++;
  send_message(c, body, (size_t)k);
}

/* A JSON-RPC message from the server on client c. */
static void on_message(client_t *c, const char *s, size_t n) {
  top_t t;
  if (!scan_top(s, n, &t)) CFAIL(c, "answer is not one JSON object: %s", excerpt(s, n));
  if (!t.has_id && t.has_method) { /* a notification (log, list_changed): counted, skipped */
    notifications_seen++;
    return;
  }
  if (t.has_method) CFAIL(c, "server sent a request (we answer none): %s", excerpt(s, n));
  if (!t.has_id || !t.id_numeric) CFAIL(c, "answer without the numeric id we sent: %s", excerpt(s, n));
  int k;
  for (k = 0; k < c->inflight && c->ids[k] != t.id; k++) {}
  if (k == c->inflight) CFAIL(c, "answer to id %lld, which is not in flight: %s", t.id, excerpt(s, n));
  if (t.has_error) CFAIL(c, "error answer to id %lld: %s", t.id, excerpt(s, n));
  if (!t.has_result) CFAIL(c, "answer to id %lld has no result: %s", t.id, excerpt(s, n));
  double t_now = now(), dt = t_now - c->sent[k];
  c->inflight--;
  c->ids[k] = c->ids[c->inflight];
  c->sent[k] = c->sent[c->inflight];
  if (c->st == S_INIT) {
    if (!memmem(s, n, "\"protocolVersion\"", 17)) CFAIL(c, "initialize answer without protocolVersion: %s", excerpt(s, n));
    static const char notif[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    if (opt_transport == T_WS) {
      send_message(c, notif, sizeof notif - 1);
      became_ready(c);
    } else {
      if (!c->sid[0]) CFAIL(c, "initialize answer without an Mcp-Session-Id header");
      c->st = S_NOTIFY;
      c->inflight = 1; /* the 202 */
      c->ids[0] = -1;
      c->sent[0] = t_now;
      send_message(c, notif, sizeof notif - 1);
    }
    return;
  }
  if (c->st != S_READY) CFAIL(c, "answer in an unexpected state: %s", excerpt(s, n));
  if (has_is_error_true(s, n)) CFAIL(c, "tool call id %lld answered isError:true: %s", t.id, excerpt(s, n));
  if (!memmem(s, n, "current_time_unix", 17)) CFAIL(c, "tool call id %lld answer lacks current_time_unix: %s", t.id, excerpt(s, n));
  n_inflight_total--;
  calls_total++;
  if (lphase == P_MEASURE) {
    double gap = t_now - last_answer;
    if (gap > max_gap) max_gap = gap;
    if (gap > 0.005) gaps_over_5ms++;
    c->calls++;
    if (lat_n == lat_cap) {
      lat_cap = lat_cap ? lat_cap * 2 : 65536;
      lat = realloc(lat, (size_t)lat_cap * sizeof *lat);
      if (!lat) fail("out of memory");
    }
    lat[lat_n++] = dt;
  }
  last_answer = t_now;
  if (lphase == P_WARM || lphase == P_MEASURE) send_call(c);
}

/* Finds header `name` in an HTTP head; copies its value. */
static bool header(const char *head, size_t n, const char *name, char *val, size_t cap) {
  size_t nl = strlen(name);
  const char *p = head, *end = head + n;
  while (p < end) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) eol = end;
    if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
      const char *v = p + nl + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      const char *ve = eol;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      size_t k = (size_t)(ve - v) < cap - 1 ? (size_t)(ve - v) : cap - 1;
      memcpy(val, v, k);
      val[k] = '\0';
      return true;
    }
    p = eol + 2;
  }
  return false;
}

/* An HTTP response head + body on client c. */
static void on_http_response(client_t *c, const char *head, size_t hn, const char *body, size_t bn) {
  int status = 0;
  if (hn < 12 || memcmp(head, "HTTP/1.1 ", 9) != 0 || sscanf(head + 9, "%3d", &status) != 1)
    CFAIL(c, "not an HTTP/1.1 response: %s", excerpt(head, hn));
  char v[256];
  if (header(head, hn, "connection", v, sizeof v) && strcasecmp(v, "close") == 0)
    CFAIL(c, "server will close the connection (Connection: close) after: %s", excerpt(head, hn));
  if (c->st == S_NOTIFY) {
    if (status != 202) CFAIL(c, "notifications/initialized answered %d, not 202: %s %s", status, excerpt(head, hn), excerpt(body, bn));
    c->inflight = 0;
    became_ready(c);
    return;
  }
  if (status != 200) CFAIL(c, "HTTP %d: %s %s", status, excerpt(head, hn), excerpt(body, bn));
  if (!header(head, hn, "content-type", v, sizeof v) || strncasecmp(v, "application/json", 16) != 0)
    CFAIL(c, "answer is not application/json: %s %s", excerpt(head, hn), excerpt(body, bn));
  if (c->st == S_INIT) {
    if (!header(head, hn, "mcp-session-id", c->sid, sizeof c->sid) || !c->sid[0])
      CFAIL(c, "initialize answer without Mcp-Session-Id: %s", excerpt(head, hn));
  }
  if (c->inflight != 1) CFAIL(c, "HTTP response with %d requests in flight: %s", c->inflight, excerpt(head, hn));
  on_message(c, body, bn);
}

static void parse_http(client_t *c) {
  size_t off = 0;
  for (;;) {
    char *h = c->rb + off;
    size_t avail = c->rlen - off;
    char *e = memmem(h, avail, "\r\n\r\n", 4);
    if (!e) {
      if (avail > 65536) CFAIL(c, "HTTP response head over 64 kB: %s", excerpt(h, avail));
      break;
    }
    size_t hn = (size_t)(e - h) + 2, total = hn + 2;
    char v[64];
    if (header(h, hn, "transfer-encoding", v, sizeof v))
      CFAIL(c, "response with Transfer-Encoding %s (an SSE stream?), expected a Content-Length JSON answer: %s", v, excerpt(h, hn));
    if (!header(h, hn, "content-length", v, sizeof v)) CFAIL(c, "response without Content-Length: %s", excerpt(h, hn));
    size_t bn = strtoul(v, NULL, 10);
    if (avail < total + bn) break;
    on_http_response(c, h, hn, h + total, bn);
    off += total + bn;
  }
  if (off) {
    memmove(c->rb, c->rb + off, c->rlen - off);
    c->rlen -= off;
  }
}

static void parse_ws(client_t *c) {
  size_t off = 0;
  if (c->st == S_UPGRADE) {
    char *e = memmem(c->rb, c->rlen, "\r\n\r\n", 4);
    if (!e) {
      if (c->rlen > 65536) CFAIL(c, "upgrade response head over 64 kB");
      return;
    }
    size_t hn = (size_t)(e - c->rb) + 2;
    char v[256];
    if (hn < 12 || memcmp(c->rb, "HTTP/1.1 101", 12) != 0) CFAIL(c, "upgrade not answered 101: %s", excerpt(c->rb, c->rlen));
    if (!header(c->rb, hn, "sec-websocket-accept", v, sizeof v) || strcmp(v, c->ws_accept) != 0)
      CFAIL(c, "wrong Sec-WebSocket-Accept (want %s): %s", c->ws_accept, excerpt(c->rb, hn));
    if (!header(c->rb, hn, "sec-websocket-protocol", v, sizeof v) || strcmp(v, "mcp") != 0)
      CFAIL(c, "upgrade answer without subprotocol mcp: %s", excerpt(c->rb, hn));
    off = hn + 2;
    if (opt_setup_only) became_ready(c);
    else send_initialize(c);
  }
  for (;;) {
    unsigned char *p = (unsigned char *)c->rb + off;
    size_t avail = c->rlen - off;
    if (avail < 2) break;
    int fin = p[0] & 0x80, op = p[0] & 0x0f;
    if (p[0] & 0x70) CFAIL(c, "WebSocket frame with RSV bits set (0x%02x)", p[0]);
    if (p[1] & 0x80) CFAIL(c, "masked frame from the server");
    uint64_t len = p[1] & 0x7f;
    size_t hl = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = ((uint64_t)p[2] << 8) | p[3];
      hl = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | p[2 + i];
      hl = 10;
    }
    if (len > (64u << 20)) CFAIL(c, "WebSocket frame of %llu bytes", (unsigned long long)len);
    if (avail < hl + len) break;
    const char *pl = (const char *)p + hl;
    switch (op) {
    case 0x1:
    case 0x0:
      if (op == 0x1 && c->flen) CFAIL(c, "new text frame inside a fragmented message");
      if (op == 0x0 && !c->flen) CFAIL(c, "continuation frame without a message");
      if (fin && !c->flen) on_message(c, pl, (size_t)len);
      else {
        ensure(&c->frag, &c->fcap, c->flen + (size_t)len + 1);
        memcpy(c->frag + c->flen, pl, (size_t)len);
        c->flen += (size_t)len;
        if (fin) {
          size_t fl = c->flen;
          c->flen = 0;
          on_message(c, c->frag, fl);
        }
      }
      break;
    case 0x2: CFAIL(c, "binary frame from the server: %s", excerpt(pl, (size_t)len));
    case 0x8: {
      int code = len >= 2 ? ((unsigned char)pl[0] << 8) | (unsigned char)pl[1] : 0;
      CFAIL(c, "server closed the WebSocket: code %d, reason \"%s\"", code, len > 2 ? excerpt(pl + 2, (size_t)len - 2) : "");
    }
    case 0x9:
      pings_seen++;
      ws_frame(c, 0xA, pl, (size_t)len);
      break;
    case 0xA: break;
    default: CFAIL(c, "WebSocket frame with opcode %d", op);
    }
    off += hl + (size_t)len;
  }
  if (off) {
    memmove(c->rb, c->rb + off, c->rlen - off);
    c->rlen -= off;
  }
}

static void on_readable(client_t *c) {
  for (;;) {
    ensure(&c->rb, &c->rcap, c->rlen + 16384);
    ssize_t r = recv(c->fd, c->rb + c->rlen, c->rcap - c->rlen, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      CFAIL(c, "recv: %s%s%s", strerror(errno), c->rlen ? "; unparsed: " : "", c->rlen ? excerpt(c->rb, c->rlen) : "");
    }
    if (r == 0)
      CFAIL(c, "server closed the connection%s%s", c->rlen ? "; unparsed: " : "", c->rlen ? excerpt(c->rb, c->rlen) : "");
    c->rlen += (size_t)r;
    if (opt_transport == T_WS) parse_ws(c);
    else parse_http(c);
    if ((size_t)r < c->rcap - c->rlen) return; /* drained (level-triggered: more comes back) */
  }
}

static void b64(const unsigned char *in, int n, char *outp) { EVP_EncodeBlock((unsigned char *)outp, in, n); }

static void on_connected(client_t *c) {
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
    CFAIL(c, "connect to %s: %s", http_host, strerror(err ? err : errno));
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (opt_transport == T_WS && opt_setup_only != 1) {
    unsigned char raw[16], dig[EVP_MAX_MD_SIZE];
    for (int i = 0; i < 16; i++) raw[i] = (unsigned char)xorshift(&c->mask_seed);
    char key[32], cat[96], req[512];
    b64(raw, 16, key);
    snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned int dl = 0;
    if (!EVP_Digest(cat, strlen(cat), dig, &dl, EVP_sha1(), NULL)) fail("SHA-1 failed");
    b64(dig, (int)dl, c->ws_accept);
    int k = snprintf(req, sizeof req,
                     "GET /mcp HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mcp\r\n\r\n",
                     http_host, key);
    c->st = S_UPGRADE;
    c->inflight = 0;
    remember(c, req, (size_t)k);
    out(c, req, (size_t)k);
  } else if (opt_transport == T_HTTP && !opt_setup_only) {
    send_initialize(c);
  } else {
    became_ready(c);
  }
  if (!c->want_out && c->st != S_READY) watch(c, false);
}

static void start_client(client_t *c) {
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) CFAIL(c, "socket: %s (raise ulimit -n?)", strerror(errno));
  c->st = S_CONNECTING;
  c->t_setup = now();
  n_setup_started++;
  n_handshaking++;
  int r = connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr);
  if (r < 0 && errno != EINPROGRESS) CFAIL(c, "connect: %s", strerror(errno));
  struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) CFAIL(c, "epoll_ctl: %s", strerror(errno));
  c->want_out = true;
}

static void on_event(client_t *c, uint32_t evs) {
  if (c->st == S_CONNECTING) {
    if (!(evs & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    c->want_out = false;
    on_connected(c);
    if (c->st == S_READY) watch(c, c->wlen > c->woff);
    return;
  }
  if (evs & EPOLLOUT) flush_out(c);
  if (evs & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
}

/* Fails if any client has waited too long for an answer or a handshake. */
static void check_timeouts(void) {
  double t = now(), lim = opt_timeout_ms / 1000.0;
  for (long i = 0; i < opt_clients; i++) {
    client_t *c = &clients[i];
    if (c->st == S_FREE || c->st == S_CLOSED) continue;
    if (c->st != S_READY) {
      if (t - c->t_setup > lim)
        CFAIL(c, "no answer to the session set-up after %.1f s%s%s", t - c->t_setup, c->rlen ? "; partial answer held: " : "",
              c->rlen ? excerpt(c->rb, c->rlen) : "");
      continue;
    }
    for (int k = 0; k < c->inflight; k++)
      if (t - c->sent[k] > lim)
        CFAIL(c, "no answer to id %lld after %.1f s (hang?); %ld calls in flight over all clients%s%s", c->ids[k],
              t - c->sent[k], n_inflight_total, c->rlen ? "; partial answer held: " : "", c->rlen ? excerpt(c->rb, c->rlen) : "");
  }
  if (!server_alive()) fail("the server died");
  fail_context[0] = '\0';
  if (lphase >= P_WARM && lphase <= P_DRAIN) {
    long rss = status_kb("VmRSS");
    if (rss > rss_max_sampled) rss_max_sampled = rss;
  }
}

/* Runs the event loop until `until` (absolute time), or until done() says so. */
static void loop(double until, bool (*done)(void)) {
  struct epoll_event evs[1024];
  double last_check = now();
  for (;;) {
    double t = now();
    if (done && done()) return;
    if (until > 0 && t >= until) return;
    if (t - last_check > 0.1) {
      check_timeouts();
      last_check = t;
    }
    if (lphase == P_SETUP)
      while (n_setup_started < opt_clients && n_handshaking < opt_connect_batch) start_client(&clients[n_setup_started]);
    int ms = 50;
    if (until > 0 && (until - t) * 1000 < ms) ms = (int)((until - t) * 1000) + 1;
    int n = epoll_wait(ep, evs, 1024, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
  }
}

static bool all_ready(void) { return n_ready == opt_clients; }
static bool drained(void) { return n_inflight_total == 0; }


static double pct(const double *v, long n, double p) {
  long k = (long)(p / 100.0 * (double)n + 0.999999);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return v[k - 1];
}

/* Milliseconds a fixed piece of integer work takes on this CPU: a yardstick for how fast the
 * (virtual) CPU runs at the moment; on a shared host it can vary by half from one minute to
 * the next, which moves every other figure with it. */
static double calibrate(void) {
  volatile uint32_t sink;
  uint32_t x = 1;
  double t = now();
  for (long k = 0; k < 10000000; k++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
  }
  sink = x;
  (void)sink;
  return (now() - t) * 1000;
}

static void usage(void) {
  fprintf(stderr, "usage: net_load --port P --transport ws|http|stateless [--clients N] [--depth D] [--seconds S]\n"
                  "                [--warmup-seconds W] [--idle-ms T] [--connect-batch K] [--timeout-ms T] [--wait-ms T]\n"
                  "                [--cpu N] [--server-cpu N] -- SERVER-COMMAND [ARGS...]\n");
  exit(2);
}

static void pause_ms(int ms) {
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--transport")) {
      for (int k = 0; k < 3; k++)
        if (!strcmp(v, transport_names[k])) opt_transport = k;
      if (opt_transport < 0) usage();
    } else if (!strcmp(a, "--port")) opt_port = atoi(v);
    else if (!strcmp(a, "--host")) opt_host = v;
    else if (!strcmp(a, "--clients")) opt_clients = atol(v);
    else if (!strcmp(a, "--depth")) opt_depth = atoi(v);
    else if (!strcmp(a, "--seconds")) opt_seconds = atof(v);
    else if (!strcmp(a, "--warmup-seconds")) opt_warmup = atof(v);
    else if (!strcmp(a, "--idle-ms")) opt_idle_ms = atoi(v);
    else if (!strcmp(a, "--connect-batch")) opt_connect_batch = atol(v);
    else if (!strcmp(a, "--timeout-ms")) opt_timeout_ms = atoi(v);
    else if (!strcmp(a, "--wait-ms")) opt_wait_ms = atoi(v);
    else if (!strcmp(a, "--cpu")) opt_cpu = atoi(v);
    else if (!strcmp(a, "--server-cpu")) opt_server_cpu = atoi(v);
    else if (!strcmp(a, "--setup-only")) {
      if (!strcmp(v, "connect")) opt_setup_only = 1;
      else if (!strcmp(v, "upgrade")) opt_setup_only = 2;
      else usage();
    }
    else usage();
  }
  if (i >= argc || opt_transport < 0 || opt_port <= 0 || opt_clients < 1 || opt_depth < 1 || opt_depth > MAX_DEPTH ||
      opt_connect_batch < 1 || opt_seconds <= 0)
    usage();
  if (opt_depth > 1 && opt_transport != T_WS) {
    fprintf(stderr, "net_load: --depth above 1 needs --transport ws (HTTP/1.1 answers one request at a time)\n");
    exit(2);
  }
  signal(SIGPIPE, SIG_IGN);
  if (opt_cpu >= 0) pin(opt_cpu);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt_clients + 64) {
    fprintf(stderr, "net_load: %ld clients need more than the %llu open files allowed (ulimit -n)\n", opt_clients,
            (unsigned long long)rl.rlim_cur);
    exit(2);
  }
  snprintf(http_host, sizeof http_host, "%s:%d", opt_host, opt_port);
  memset(&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)opt_port);
  if (inet_pton(AF_INET, opt_host, &server_addr.sin_addr) != 1) usage();

  static char port_arg[16];
  snprintf(port_arg, sizeof port_arg, "%d", opt_port);
  for (int k = i; k < argc; k++)
    if (!strcmp(argv[k], "{port}")) argv[k] = port_arg;
  double calib_ms = calibrate();
  t_start = now();
  phase = "spawn";
  spawn(argv + i);
  /* wait for the listener */
  for (;;) {
    if (!server_alive()) {
      char st[160];
      server_state(st, sizeof st);
      fprintf(stderr, "net_load: the server %s before it listened on port %d\n", st, opt_port);
      exit(3);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket: %s", strerror(errno));
    int r = connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr);
    close(fd);
    if (r == 0) break;
    if (now() - t_start > opt_wait_ms / 1000.0) fail("the server did not listen on port %d within %d ms", opt_port, opt_wait_ms);
    pause_ms(5);
  }
  double listen_ms = (now() - t_start) * 1000;
  pause_ms(opt_idle_ms);
  if (!server_alive()) { /* what answered was someone else's listener: the caller may retry elsewhere */
    char st[160];
    server_state(st, sizeof st);
    fprintf(stderr, "net_load: the server %s right after port %d accepted a connection (another process on it?)\n", st,
            opt_port);
    exit(3);
  }
  long rss_base = status_kb("VmRSS");

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1: %s", strerror(errno));
  clients = calloc((size_t)opt_clients, sizeof *clients);
  if (!clients) fail("out of memory");
  for (long k = 0; k < opt_clients; k++) {
    clients[k].idx = k;
    clients[k].fd = -1;
    clients[k].next_id = 1;
    clients[k].mask_seed = (uint32_t)(2654435761u * (uint32_t)(k + 1)) ^ (uint32_t)getpid();
    if (!clients[k].mask_seed) clients[k].mask_seed = 1;
  }

  /* A stateless client only connects during setup, and lws gives every connection that has
   * not sent a whole request yet one of its 64 header tables: with 64 or more of them idle,
   * any other request (this GET) waits up to 20 s. So the baseline scrape comes first. */
  metrics_t m_base = scrape_metrics(http_host);

  phase = "setup";
  double t_setup0 = now();
  loop(0, all_ready);
  double setup_ms = (now() - t_setup0) * 1000;

  phase = "idle";
  lphase = P_IDLE;
  loop(now() + opt_idle_ms / 1000.0, NULL);
  long rss_idle = status_kb("VmRSS");
  metrics_t m_idle = opt_transport == T_STATELESS ? m_base : scrape_metrics(http_host);

  if (opt_setup_only) {
    for (long k = 0; k < opt_clients; k++) close(clients[k].fd);
    pause_ms(opt_idle_ms);
    long rss_closed = status_kb("VmRSS");
    kill(server_pid, SIGTERM);
    while (server_alive()) pause_ms(1);
    printf("transport %s\nclients %ld\nsetup_only %s\nsetup_ms %.1f\nrss_base_kb %ld\nrss_idle_kb %ld\n"
           "rss_per_session_kb %.2f\nrss_after_close_kb %ld\n",
           transport_names[opt_transport], opt_clients, opt_setup_only == 1 ? "connect" : "upgrade", setup_ms, rss_base,
           rss_idle, (double)(rss_idle - rss_base) / (double)opt_clients, rss_closed);
    return 0;
  }

  phase = "warm-up";
  lphase = P_WARM;
  for (long k = 0; k < opt_clients; k++)
    for (int d = 0; d < opt_depth; d++) send_call(&clients[k]);
  if (opt_warmup > 0) loop(now() + opt_warmup, NULL);

  phase = "measure";
  lphase = P_MEASURE;
  long calls0 = calls_total;
  double cpu_s0 = server_cpu(), cpu_c0 = self_cpu(), cpu_m0 = machine_cpu(), t0 = now();
  loop(t0 + opt_seconds, NULL);
  double t1 = now(), cpu_s1 = server_cpu(), cpu_c1 = self_cpu(), cpu_m1 = machine_cpu();
  long calls_measured = lat_n;
  (void)calls0;

  phase = "drain";
  lphase = P_DRAIN;
  loop(0, drained);
  long rss_load = status_kb("VmRSS"), hwm_load = status_kb("VmHWM");
  metrics_t m_load = scrape_metrics(http_host);

  phase = "close";
  lphase = P_CLOSE;
  for (long k = 0; k < opt_clients; k++) {
    clients[k].st = S_CLOSED;
    if (clients[k].fd >= 0) close(clients[k].fd);
    clients[k].fd = -1;
  }
  pause_ms(opt_idle_ms);
  if (!server_alive()) fail("the server died after the clients closed their connections");
  long rss_closed = status_kb("VmRSS");
  metrics_t m_closed = scrape_metrics(http_host);

  phase = "shutdown";
  double t_term = now();
  kill(server_pid, SIGTERM);
  while (server_alive()) {
    if (now() - t_term > 10) fail("the server did not exit within 10 s of SIGTERM");
    pause_ms(1);
  }
  double exit_ms = (now() - t_term) * 1000;
  char st[160];
  describe_status(server_status, st, sizeof st);
  if (!WIFEXITED(server_status) || WEXITSTATUS(server_status) != 0) fail("after SIGTERM the server %s", st);

  qsort(lat, (size_t)lat_n, sizeof *lat, cmp_double);
  double sum = 0;
  for (long k = 0; k < lat_n; k++) sum += lat[k];
  long cmin = -1, cmax = 0;
  for (long k = 0; k < opt_clients; k++) {
    if (cmin < 0 || clients[k].calls < cmin) cmin = clients[k].calls;
    if (clients[k].calls > cmax) cmax = clients[k].calls;
  }
  double el = t1 - t0;
  if (calls_measured == 0) fail("no call answered in the measured %.2f s", el);
  printf("transport %s\n", transport_names[opt_transport]);
  printf("clients %ld\n", opt_clients);
  printf("depth %d\n", opt_depth);
  printf("calib_ms %.1f\n", calib_ms);
  printf("listen_ms %.2f\n", listen_ms);
  printf("setup_ms %.1f\n", setup_ms);
  printf("rss_base_kb %ld\n", rss_base);
  printf("rss_idle_kb %ld\n", rss_idle);
  printf("rss_per_session_kb %.2f\n", (double)(rss_idle - rss_base) / (double)opt_clients);
  printf("measured_s %.3f\n", el);
  printf("calls %ld\n", calls_measured);
  printf("calls_per_s %.0f\n", (double)calls_measured / el);
  printf("latency_p50_us %.1f\n", pct(lat, lat_n, 50) * 1e6);
  printf("latency_p90_us %.1f\n", pct(lat, lat_n, 90) * 1e6);
  printf("latency_p99_us %.1f\n", pct(lat, lat_n, 99) * 1e6);
  printf("latency_max_us %.1f\n", lat[lat_n - 1] * 1e6);
  printf("latency_mean_us %.1f\n", sum / (double)lat_n * 1e6);
  printf("client_calls_min %ld\n", cmin);
  printf("client_calls_max %ld\n", cmax);
  printf("server_cpu_us_per_call %.1f\n", (cpu_s1 - cpu_s0) / (double)calls_measured * 1e6);
  printf("server_cpu_pct %.0f\n", (cpu_s1 - cpu_s0) / el * 100);
  printf("client_cpu_us_per_call %.1f\n", (cpu_c1 - cpu_c0) / (double)calls_measured * 1e6);
  printf("client_cpu_pct %.0f\n", (cpu_c1 - cpu_c0) / el * 100);
  /* everything else the machine ran meanwhile (other processes, interrupts, steal), in % of
   * one CPU; a few % is the kernel's own work (softirqs) for this traffic */
  printf("other_cpu_pct %.0f\n", ((cpu_m1 - cpu_m0) - (cpu_s1 - cpu_s0) - (cpu_c1 - cpu_c0)) / el * 100);
  printf("max_gap_ms %.1f\n", max_gap * 1e3);
  printf("gaps_over_5ms %ld\n", gaps_over_5ms);
  long rss_max = rss_max_sampled;
  if (rss_load > rss_max) rss_max = rss_load;
  if (hwm_load > rss_max) rss_max = hwm_load;
  printf("rss_max_load_kb %ld\n", rss_max);
  printf("rss_after_load_kb %ld\n", rss_load);
  printf("hwm_after_load_kb %ld\n", hwm_load);
  printf("rss_after_close_kb %ld\n", rss_closed);
  /* what the server's /metrics says; "-" when it could not be read */
  if (m_idle.ok && m_load.ok && m_closed.ok) {
    printf("metrics_sessions_idle %.0f\n", m_idle.sessions);
    printf("metrics_sessions_after_close %.0f\n", m_closed.sessions);
    printf("lua_kb_idle %.0f\n", m_idle.lua_bytes / 1024);
    printf("lua_kb_after_load %.0f\n", m_load.lua_bytes / 1024);
    printf("metrics_tool_calls %.0f\n", m_load.tool_calls - m_idle.tool_calls);
    printf("metrics_tool_calls_not_ok %.0f\n", (m_load.tool_calls - m_idle.tool_calls) - (m_load.tool_ok - m_idle.tool_ok));
    printf("answered_calls %ld\n", calls_total);
    double dc = m_load.tool_calls - m_idle.tool_calls;
    printf("tool_us_per_call %.1f\n", dc > 0 ? (m_load.tool_seconds - m_idle.tool_seconds) / dc * 1e6 : 0);
  } else printf("metrics_sessions_idle -\n");
  printf("notifications %ld\n", notifications_seen);
  printf("pings %ld\n", pings_seen);
  printf("exit_ms %.1f\n", exit_ms);
  return 0;
}
