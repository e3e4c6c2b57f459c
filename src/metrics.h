/* metrics.h: counters and latency histograms, rendered in the Prometheus text format at
 * /metrics. Labels are small sets (transports, methods, tools), kept in short arrays. */
#ifndef ACK_METRICS_H
#define ACK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct metrics metrics_t;

metrics_t *metrics_new(void);
void metrics_free(metrics_t *m);
/* Open sessions by transport ("stdio", "http", "ws", "sse"); delta is +1 or -1. */
void metrics_session(metrics_t *m, const char *transport, int delta);
/* A JSON-RPC request answered: its method and whether the answer was an error. */
void metrics_request(metrics_t *m, const char *method, bool error);
/* A tool call ended: outcome is "ok", "error" (isError) or "cancelled". */
void metrics_tool_call(metrics_t *m, const char *tool, const char *outcome, double seconds);
void metrics_bytes(metrics_t *m, size_t in, size_t out);
void metrics_reload(metrics_t *m, bool ok);
/* The exposition text; caller frees with free(). */
char *metrics_render(const metrics_t *m, size_t lua_bytes, int active_calls);

#endif
