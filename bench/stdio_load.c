/* stdio_load.c: load generator for an MCP server speaking newline-delimited JSON-RPC on
 * stdin/stdout. It spawns the server itself (fork/exec, two pipes) and measures, in order:
 *
 *   cold start     exec to the initialize response (the initialize line is already waiting
 *                  in the pipe when the child starts)
 *   memory         VmRSS / VmHWM of the child after initialize + tools/list
 *   latency        N sequential tools/call, 1 request in flight: p50, p99, and the calls/s
 *                  that gives
 *   throughput     M tools/call with a window of W requests in flight (a new request goes out
 *                  as soon as an answer comes back): calls/s, and the latency each call saw
 *   shutdown       stdin closed to child exit, and the exit status
 *
 * Every answer is checked: one line, a JSON object whose top-level "id" is one we sent and
 * have not had answered yet, with a top-level "result", no top-level "error", no
 * "isError":true, and (for get_current_time) the field the tool returns. Any failure, a
 * crash, a hang (no answer within --timeout-ms) or an exit status other than 0 prints
 * "stdio_load: FAIL ..." with the request, the answer and the timing, and exits 1.
 *
 * --raw is the reference mode: the child is an echo (cat) that sends every line back, so the
 * same client code measures what the pipe round trip alone costs; answers then only need the
 * matching id.
 *
 * Output: one "key value" line per figure on stdout, for bench/run to collect.
 *
 * usage: stdio_load [options] -- COMMAND [ARGS...]
 *   --latency-calls N   sequential calls timed (default 20000)
 *   --warmup N          untimed sequential calls before them (default 1000)
 *   --calls M           calls in the pipelined run (default 100000)
 *   --window W          requests in flight in the pipelined run (default 32)
 *   --max-seconds S     stop sending in a phase after S seconds (default 30; reported)
 *   --timeout-ms T      longest wait for any one answer before calling it a hang (default 10000)
 *   --tool NAME         tool to call (default get_current_time)
 *   --arguments JSON    its arguments (default {})
 *   --expect TEXT       text every tools/call answer must contain
 *                       (default "current_time_unix" for get_current_time, else none)
 *   --raw               the child echoes lines: check only ids
 *   --cpu N             pin this process to CPU N (the child inherits it unless --child-cpu)
 *   --child-cpu N       pin the child to CPU N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "load_common.h"

/* ---- options ------------------------------------------------------------------------ */

static long opt_latency_calls = 20000;
static long opt_warmup = 1000;
static long opt_calls = 100000;
static long opt_window = 32;
static double opt_max_seconds = 30;
static int opt_timeout_ms = 10000;
static const char *opt_tool = "get_current_time";
static const char *opt_arguments = "{}";
static const char *opt_expect = NULL;
static bool opt_raw = false;
static int opt_cpu = -1;       /* pin this process to a CPU */
static int opt_child_cpu = -1; /* pin the child to a CPU (set between fork and exec) */

/* ---- child and failure reporting ------------------------------------------------------ */

static pid_t child_pid = -1;
static int child_in = -1;  /* we write the child's stdin */
static int child_out = -1; /* we read the child's stdout */
static const char *phase = "start";
static char last_sent[512];
static double t_start;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Describes how the child ended, reaping it if it has. */
static void child_status(char *out, size_t n) {
  int st;
  if (child_pid <= 0) {
    snprintf(out, n, "not running");
    return;
  }
  pid_t r = waitpid(child_pid, &st, WNOHANG);
  if (r == 0) snprintf(out, n, "still running (pid %d)", (int)child_pid);
  else if (r < 0) snprintf(out, n, "unknown (%s)", strerror(errno));
  else {
    if (WIFSIGNALED(st))
      snprintf(out, n, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
               WCOREDUMP(st) ? ", core dumped" : "");
    else snprintf(out, n, "exited with status %d", WEXITSTATUS(st));
    child_pid = -1;
  }
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* give a dying child a moment so its status is known */
  char st[160];
  for (int i = 0; i < 50; i++) {
    child_status(st, sizeof st);
    if (child_pid < 0) break;
    struct timespec ts = { 0, 2000000 };
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "stdio_load: FAIL in phase '%s' at t=%.3fs: %s\n", phase, now() - t_start, msg);
  if (last_sent[0]) fprintf(stderr, "stdio_load:   last request sent: %s\n", last_sent);
  fprintf(stderr, "stdio_load:   child: %s\n", st);
  if (child_pid > 0) {
    kill(child_pid, SIGKILL);
    waitpid(child_pid, NULL, 0);
  }
  exit(1);
}

/* Quotes at most 400 bytes of a line for an error message. */
static const char *excerpt(const char *s, size_t n) {
  static char buf[480];
  size_t k = n < 400 ? n : 400;
  memcpy(buf, s, k);
  buf[k] = '\0';
  if (k < n) snprintf(buf + k, sizeof buf - k, "... (%zu bytes)", n);
  return buf;
}


static void spawn(char **argv) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) fail("fork: %s", strerror(errno));
  if (pid == 0) {
    if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0) _exit(126);
    if (opt_child_cpu >= 0) pin(opt_child_cpu);
    execvp(argv[0], argv);
    fprintf(stderr, "stdio_load: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  child_pid = pid;
  child_in = in[1];
  child_out = out[0];
}

/* ---- writing and reading lines ---------------------------------------------------------- */

static void write_all(const char *buf, size_t n) {
  while (n) {
    ssize_t w = write(child_in, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write to the child's stdin: %s", strerror(errno));
    }
    buf += w;
    n -= (size_t)w;
  }
}

static char *rbuf;
static size_t rlen, roff, rcap;

/* Whether a whole line is buffered. */
static bool line_ready(void) { return memchr(rbuf + roff, '\n', rlen - roff) != NULL; }

/* Reads once (after waiting up to timeout_ms); false on timeout. Fails on EOF. */
static bool fill(int timeout_ms) {
  struct pollfd p = { .fd = child_out, .events = POLLIN };
  int r;
  do r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0) fail("poll: %s", strerror(errno));
  if (r == 0) return false;
  if (roff > 0 && roff == rlen) roff = rlen = 0;
  if (rcap - rlen < 65536) {
    if (roff > 0) {
      memmove(rbuf, rbuf + roff, rlen - roff);
      rlen -= roff;
      roff = 0;
    }
    if (rcap - rlen < 65536) {
      rcap = rcap ? rcap * 2 : 262144;
      rbuf = realloc(rbuf, rcap);
      if (!rbuf) fail("out of memory");
    }
  }
  ssize_t n;
  do n = read(child_out, rbuf + rlen, rcap - rlen);
  while (n < 0 && errno == EINTR);
  if (n < 0) fail("read from the child's stdout: %s", strerror(errno));
  if (n == 0) {
    if (rlen > roff) fail("child closed stdout after a partial line: %s", excerpt(rbuf + roff, rlen - roff));
    fail("child closed stdout (EOF) while answers were expected");
  }
  rlen += (size_t)n;
  return true;
}

/* Next line (without its newline), waiting up to opt_timeout_ms for it. */
static char *next_line(size_t *len, double since) {
  char *nl;
  while (!(nl = memchr(rbuf + roff, '\n', rlen - roff))) {
    if (!fill(opt_timeout_ms)) {
      fail("no answer after %.1f s (hang?)%s%s", now() - since, rlen > roff ? "; partial line held: " : "",
           rlen > roff ? excerpt(rbuf + roff, rlen - roff) : "");
    }
  }
  char *line = rbuf + roff;
  *len = (size_t)(nl - line);
  roff += *len + 1;
  if (*len && line[*len - 1] == '\r') (*len)--;
  return line;
}

/* ---- checking answers ------------------------------------------------------------------ */


static long notifications;

/* Reads lines until an answer; returns its id after checking it. Notifications (no id, a
 * method) are counted and skipped; a request from the child is a failure (we answer none). */
static long long read_answer(bool is_call, double since) {
  for (;;) {
    size_t n;
    char *line = next_line(&n, since);
    top_t t;
    if (!scan_top(line, n, &t)) fail("answer is not one JSON object: %s", excerpt(line, n));
    if (!t.has_id && t.has_method) {
      notifications++;
      continue;
    }
    if (!t.has_id) fail("answer has no id: %s", excerpt(line, n));
    if (!t.id_numeric) fail("answer id is not the number we sent: %s", excerpt(line, n));
    if (opt_raw) {
      if (!t.has_method) fail("echo child sent back something else: %s", excerpt(line, n));
      return t.id;
    }
    if (t.has_method) fail("child sent a request (we answer none): %s", excerpt(line, n));
    if (t.has_error) fail("error answer to id %lld: %s", t.id, excerpt(line, n));
    if (!t.has_result) fail("answer to id %lld has no result: %s", t.id, excerpt(line, n));
    if (is_call) {
      if (has_is_error_true(line, n)) fail("tool call id %lld answered isError:true: %s", t.id, excerpt(line, n));
      if (opt_expect && !memmem(line, n, opt_expect, strlen(opt_expect)))
        fail("tool call id %lld answer lacks \"%s\": %s", t.id, opt_expect, excerpt(line, n));
    }
    return t.id;
  }
}

/* ---- requests ----------------------------------------------------------------------- */

static long long next_id = 1;

static size_t format_call(char *buf, size_t cap, long long id) {
  int k = snprintf(buf, cap,
                   "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":%s}}\n",
                   id, opt_tool, opt_arguments);
  if (k < 0 || (size_t)k >= cap) fail("request too long");
  return (size_t)k;
}

static void remember(const char *req, size_t n) {
  size_t k = n && req[n - 1] == '\n' ? n - 1 : n;
  if (k >= sizeof last_sent) k = sizeof last_sent - 1;
  memcpy(last_sent, req, k);
  last_sent[k] = '\0';
}

/* One request and its answer, 1 in flight; returns the seconds it took. */
static double round_trip(const char *req, size_t n, long long id, bool is_call) {
  remember(req, n);
  double t0 = now();
  write_all(req, n);
  long long got = read_answer(is_call, t0);
  double dt = now() - t0;
  if (got != id) fail("sent id %lld, got an answer for id %lld", id, got);
  return dt;
}

/* ---- /proc -------------------------------------------------------------------------- */

static long status_kb(pid_t pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
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

/* utime + stime of pid, in seconds. */
static double proc_cpu(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) fail("open %s: %s", path, strerror(errno));
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the name may hold spaces */
  if (!p) fail("bad %s", path);
  unsigned long long ut = 0, st = 0;
  /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) fail("bad %s", path);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- statistics --------------------------------------------------------------------- */


/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, long n, double p) {
  long k = (long)(p / 100.0 * (double)n + 0.999999);
  if (k < 1) k = 1;
  if (k > n) k = n;
  return v[k - 1];
}

/* ---- phases ------------------------------------------------------------------------- */

static void sequential(long count, double *lat, double *elapsed, long *done) {
  char req[1024];
  double t0 = now();
  long i;
  for (i = 0; i < count; i++) {
    if (now() - t0 > opt_max_seconds) break;
    long long id = next_id++;
    size_t n = format_call(req, sizeof req, id);
    double dt = round_trip(req, n, id, true);
    if (lat) lat[i] = dt;
  }
  *elapsed = now() - t0;
  *done = i;
}

/* Keeps `window` calls outstanding until `count` have been answered. lat[i] is the latency
 * of the call with id base+i. */
static void pipelined(long count, long window, double *lat, double *elapsed, long *done) {
  long long base = next_id;
  double *sent = malloc((size_t)count * sizeof *sent);
  if (!sent) fail("out of memory");
  for (long i = 0; i < count; i++) sent[i] = -1; /* -1: not sent, -2: answered */
  size_t cap = (size_t)window * 1024;
  char *out = malloc(cap);
  if (!out) fail("out of memory");
  long nsent = 0, nrecv = 0, inflight = 0;
  double t0 = now(), last_progress = t0;
  bool stop = false;
  while (nrecv < nsent || (!stop && nsent < count)) {
    if (!stop && now() - t0 > opt_max_seconds) stop = true;
    /* top up the window in one write */
    if (!stop && inflight < window && nsent < count) {
      size_t len = 0;
      double ts = now();
      while (inflight < window && nsent < count) {
        size_t k = format_call(out + len, cap - len, base + nsent);
        remember(out + len, k);
        len += k;
        sent[nsent++] = ts;
        inflight++;
      }
      next_id = base + nsent;
      write_all(out, len);
    }
    /* take every answer that is here (wait for at least one) */
    if (!line_ready() && !fill(opt_timeout_ms))
      fail("no answer for %.1f s with %ld requests in flight (ids %lld..%lld sent, %ld answered)",
           now() - last_progress, inflight, base, base + nsent - 1, nrecv);
    while (line_ready()) {
      long long id = read_answer(true, last_progress);
      double t = now();
      if (id < base || id >= base + nsent) fail("answer for id %lld, which is not in flight", id);
      long k = (long)(id - base);
      if (sent[k] == -2) fail("second answer for id %lld", id);
      lat[k] = t - sent[k];
      sent[k] = -2;
      nrecv++;
      inflight--;
      last_progress = t;
    }
  }
  *elapsed = now() - t0;
  *done = nrecv;
  /* lat[] holds the answered calls: compact to the first nrecv entries */
  long j = 0;
  for (long i = 0; i < nsent; i++)
    if (sent[i] == -2) lat[j++] = lat[i];
  free(sent);
  free(out);
}

static void report_latencies(const char *prefix, double *lat, long n) {
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf("%s_p50_us %.1f\n", prefix, pct(lat, n, 50) * 1e6);
  printf("%s_p99_us %.1f\n", prefix, pct(lat, n, 99) * 1e6);
  printf("%s_max_us %.1f\n", prefix, lat[n - 1] * 1e6);
}

static long parse_long(const char *s, const char *opt, long min) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < min) {
    fprintf(stderr, "stdio_load: %s wants an integer >= %ld, got '%s'\n", opt, min, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    bool has = i + 1 < argc;
#define OPT(name) (strcmp(a, name) == 0 && has)
    if (OPT("--latency-calls")) opt_latency_calls = parse_long(argv[++i], a, 1);
    else if (OPT("--warmup")) opt_warmup = parse_long(argv[++i], a, 0);
    else if (OPT("--calls")) opt_calls = parse_long(argv[++i], a, 1);
    else if (OPT("--window")) opt_window = parse_long(argv[++i], a, 1);
    else if (OPT("--max-seconds")) opt_max_seconds = (double)parse_long(argv[++i], a, 1);
    else if (OPT("--timeout-ms")) opt_timeout_ms = (int)parse_long(argv[++i], a, 1);
    else if (OPT("--tool")) opt_tool = argv[++i];
    else if (OPT("--arguments")) opt_arguments = argv[++i];
    else if (OPT("--expect")) opt_expect = argv[++i];
    else if (OPT("--cpu")) opt_cpu = (int)parse_long(argv[++i], a, 0);
    else if (OPT("--child-cpu")) opt_child_cpu = (int)parse_long(argv[++i], a, 0);
    else if (strcmp(a, "--raw") == 0) opt_raw = true;
    else {
      fprintf(stderr, "usage: stdio_load [--latency-calls N] [--warmup N] [--calls M] [--window W] [--max-seconds S]\n"
                      "                  [--timeout-ms T] [--tool NAME] [--arguments JSON] [--expect TEXT] [--raw]\n"
                      "                  [--cpu N] [--child-cpu N]\n"
                      "                  -- COMMAND [ARGS...]\n");
      return 2;
    }
#undef OPT
  }
  if (i >= argc) {
    fprintf(stderr, "stdio_load: no command to run (put it after --)\n");
    return 2;
  }
  if (!opt_expect && strcmp(opt_tool, "get_current_time") == 0) opt_expect = "current_time_unix";
  if (opt_raw) opt_expect = NULL;
  if (opt_cpu >= 0) pin(opt_cpu);
  signal(SIGPIPE, SIG_IGN); /* a dead child shows up as EPIPE, reported by fail() */
  char **cmd = argv + i;

  /* cold start: the clock starts before fork; initialize is waiting in the pipe */
  phase = "cold start";
  static const char init[] =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
      "\"capabilities\":{},\"clientInfo\":{\"name\":\"stdio_load\",\"version\":\"1\"}}}\n";
  t_start = now();
  spawn(cmd);
  remember(init, sizeof init - 1);
  write_all(init, sizeof init - 1);
  long long got = read_answer(false, t_start);
  double cold = now() - t_start;
  if (got != 1) fail("sent initialize with id 1, got an answer for id %lld", got);
  next_id = 2;
  printf("cold_start_ms %.2f\n", cold * 1e3);

  phase = "initialized + tools/list";
  static const char initialized[] = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
  remember(initialized, sizeof initialized - 1);
  write_all(initialized, sizeof initialized - 1);
  char req[1024];
  long long id = next_id++;
  int k = snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"tools/list\"}\n", id);
  double list_s = round_trip(req, (size_t)k, id, false);
  printf("tools_list_us %.1f\n", list_s * 1e6);
  printf("rss_kb %ld\n", status_kb(child_pid, "VmRSS"));
  printf("hwm_kb %ld\n", status_kb(child_pid, "VmHWM"));
  fflush(stdout);

  phase = "warm-up (sequential)";
  double elapsed;
  long done;
  sequential(opt_warmup, NULL, &elapsed, &done);

  phase = "latency (1 in flight)";
  double *lat = malloc((size_t)(opt_latency_calls > opt_calls ? opt_latency_calls : opt_calls) * sizeof *lat);
  if (!lat) fail("out of memory");
  sequential(opt_latency_calls, lat, &elapsed, &done);
  printf("calls_1 %ld\n", done);
  printf("calls_per_s_1 %.0f\n", (double)done / elapsed);
  report_latencies("latency_1", lat, done);
  fflush(stdout);

  phase = "throughput (pipelined)";
  double cpu_child0 = proc_cpu(child_pid), cpu_self0 = self_cpu();
  pipelined(opt_calls, opt_window, lat, &elapsed, &done);
  double cpu_child = proc_cpu(child_pid) - cpu_child0, cpu_self = self_cpu() - cpu_self0;
  printf("window %ld\n", opt_window);
  printf("calls_w %ld\n", done);
  printf("calls_per_s_w %.0f\n", (double)done / elapsed);
  report_latencies("latency_w", lat, done);
  printf("child_cpu_us_per_call_w %.1f\n", cpu_child / (double)done * 1e6);
  printf("client_cpu_us_per_call_w %.1f\n", cpu_self / (double)done * 1e6);
  printf("rss_after_load_kb %ld\n", status_kb(child_pid, "VmRSS"));
  printf("hwm_after_load_kb %ld\n", status_kb(child_pid, "VmHWM"));
  printf("notifications %ld\n", notifications);
  fflush(stdout);

  /* shutdown: EOF on stdin must end the child, with status 0, and nothing more on stdout */
  phase = "shutdown (stdin closed)";
  last_sent[0] = '\0';
  double t0 = now();
  close(child_in);
  child_in = -1;
  for (;;) {
    struct pollfd p = { .fd = child_out, .events = POLLIN };
    int remaining = opt_timeout_ms - (int)((now() - t0) * 1e3);
    if (remaining <= 0) fail("child still running %.1f s after its stdin closed", now() - t0);
    int r = poll(&p, 1, remaining);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(child_out, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read: %s", strerror(errno));
    if (n == 0) break;
    size_t m = (size_t)n;
    if (!(m && buf[0] == '{' && memmem(buf, m, "\"method\"", 8) && !memmem(buf, m, "\"id\"", 4)))
      fail("output after stdin closed: %s", excerpt(buf, m));
  }
  int st;
  while (waitpid(child_pid, &st, WNOHANG) == 0) {
    if (now() - t0 > opt_timeout_ms / 1e3) fail("child closed stdout but did not exit within %d ms", opt_timeout_ms);
    struct timespec ts = { 0, 200000 };
    nanosleep(&ts, NULL);
  }
  double exit_s = now() - t0;
  if (WIFSIGNALED(st)) {
    child_pid = -1;
    fail("child killed by signal %d (%s) at shutdown", WTERMSIG(st), strsignal(WTERMSIG(st)));
  }
  child_pid = -1;
  if (WEXITSTATUS(st) != 0) fail("child exited with status %d at shutdown", WEXITSTATUS(st));
  printf("exit_ms %.2f\n", exit_s * 1e3);
  printf("ok 1\n");
  free(lat);
  free(rbuf);
  return 0;
}
