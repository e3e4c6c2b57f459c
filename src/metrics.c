/* metrics.c: Prometheus counters and histograms for the server. */
#include "metrics.h"

#include "ack.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Latency buckets in seconds: tool calls range from microseconds (the clock) to minutes
 * (diagnoses that poll). */
static const double buckets[] = { 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300 };
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

typedef struct series {
  char *a, *b;          /* label values */
  double value;         /* counter or gauge */
  unsigned long long counts[NBUCKETS + 1];
  double sum;
} series_t;

typedef struct family {
  series_t *s;
  size_t n;
} family_t;

struct metrics {
  family_t sessions, requests, calls;
  unsigned long long bytes_in, bytes_out, reloads_ok, reloads_failed;
};

static series_t *find(family_t *f, const char *a, const char *b) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->s[i].a, a) == 0 && strcmp(f->s[i].b, b) == 0) return &f->s[i];
  f->s = ack_xrealloc(f->s, (f->n + 1) * sizeof *f->s);
  series_t *s = &f->s[f->n++];
  memset(s, 0, sizeof *s);
  s->a = ack_strdup(a);
  s->b = ack_strdup(b);
  return s;
}

metrics_t *metrics_new(void) { return ack_xcalloc(1, sizeof(metrics_t)); }

static void family_free(family_t *f) {
  for (size_t i = 0; i < f->n; i++) {
    free(f->s[i].a);
    free(f->s[i].b);
  }
  free(f->s);
}

void metrics_free(metrics_t *m) {
  if (!m) return;
  family_free(&m->sessions);
  family_free(&m->requests);
  family_free(&m->calls);
  free(m);
}

void metrics_session(metrics_t *m, const char *transport, int delta) {
  if (m) find(&m->sessions, transport, "")->value += delta;
}

void metrics_request(metrics_t *m, const char *method, bool error) {
  if (m) find(&m->requests, method, error ? "error" : "ok")->value += 1;
}

void metrics_tool_call(metrics_t *m, const char *tool, const char *outcome, double seconds) {
  if (!m) return;
  series_t *s = find(&m->calls, tool, outcome);
  s->value += 1;
  s->sum += seconds;
  size_t i = 0;
  while (i < NBUCKETS && seconds > buckets[i]) i++;
  s->counts[i]++;
}

void metrics_bytes(metrics_t *m, size_t in, size_t out) {
  if (!m) return;
  m->bytes_in += in;
  m->bytes_out += out;
}

void metrics_reload(metrics_t *m, bool ok) {
  if (!m) return;
  if (ok) m->reloads_ok++;
  else m->reloads_failed++;
}

typedef struct text {
  char *buf;
  size_t len, cap;
} text_t;

static void put(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text_t *t, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 0) + 256;
    t->buf = ack_xrealloc(t->buf, t->cap);
  }
}

char *metrics_render(const metrics_t *m, size_t lua_bytes, int active_calls) {
  text_t t = { ack_xmalloc(4096), 0, 4096 };
  put(&t, "# HELP ack_mcp_sessions Open MCP sessions by transport.\n# TYPE ack_mcp_sessions gauge\n");
  for (size_t i = 0; i < m->sessions.n; i++)
    put(&t, "ack_mcp_sessions{transport=\"%s\"} %.0f\n", m->sessions.s[i].a, m->sessions.s[i].value);
  put(&t, "# HELP ack_mcp_requests_total JSON-RPC requests answered, by method and outcome.\n"
          "# TYPE ack_mcp_requests_total counter\n");
  for (size_t i = 0; i < m->requests.n; i++)
    put(&t, "ack_mcp_requests_total{method=\"%s\",outcome=\"%s\"} %.0f\n", m->requests.s[i].a, m->requests.s[i].b,
        m->requests.s[i].value);
  put(&t, "# HELP ack_mcp_tool_calls_total Tool calls by tool and outcome.\n# TYPE ack_mcp_tool_calls_total counter\n");
  for (size_t i = 0; i < m->calls.n; i++)
    put(&t, "ack_mcp_tool_calls_total{tool=\"%s\",outcome=\"%s\"} %.0f\n", m->calls.s[i].a, m->calls.s[i].b,
        m->calls.s[i].value);
  put(&t, "# HELP ack_mcp_tool_call_seconds Tool call latency.\n# TYPE ack_mcp_tool_call_seconds histogram\n");
  for (size_t i = 0; i < m->calls.n; i++) {
    const series_t *s = &m->calls.s[i];
    unsigned long long cum = 0;
    for (size_t b = 0; b <= NBUCKETS; b++) {
      cum += s->counts[b];
      if (b < NBUCKETS)
        put(&t, "ack_mcp_tool_call_seconds_bucket{tool=\"%s\",outcome=\"%s\",le=\"%g\"} %llu\n", s->a, s->b, buckets[b], cum);
      else
        put(&t, "ack_mcp_tool_call_seconds_bucket{tool=\"%s\",outcome=\"%s\",le=\"+Inf\"} %llu\n", s->a, s->b, cum);
    }
    put(&t, "ack_mcp_tool_call_seconds_sum{tool=\"%s\",outcome=\"%s\"} %.6f\n", s->a, s->b, s->sum);
    put(&t, "ack_mcp_tool_call_seconds_count{tool=\"%s\",outcome=\"%s\"} %llu\n", s->a, s->b, cum);
  }
  put(&t, "# HELP ack_mcp_bytes_total Bytes of MCP messages received and sent.\n# TYPE ack_mcp_bytes_total counter\n"
          "ack_mcp_bytes_total{direction=\"in\"} %llu\nack_mcp_bytes_total{direction=\"out\"} %llu\n",
      m->bytes_in, m->bytes_out);
  put(&t, "# HELP ack_mcp_reloads_total Tool reloads by outcome.\n# TYPE ack_mcp_reloads_total counter\n"
          "ack_mcp_reloads_total{outcome=\"ok\"} %llu\nack_mcp_reloads_total{outcome=\"failed\"} %llu\n",
      m->reloads_ok, m->reloads_failed);
  put(&t, "# HELP ack_mcp_lua_memory_bytes Bytes in the Lua heap.\n# TYPE ack_mcp_lua_memory_bytes gauge\n"
          "ack_mcp_lua_memory_bytes %zu\n", lua_bytes);
  put(&t, "# HELP ack_mcp_tool_calls_active Tool calls running.\n# TYPE ack_mcp_tool_calls_active gauge\n"
          "ack_mcp_tool_calls_active %d\n", active_calls);
  return t.buf;
}
