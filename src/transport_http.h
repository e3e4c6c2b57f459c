/* transport_http.h: the one HTTP listener (libwebsockets on the server's libuv loop):
 * Streamable HTTP at /mcp (legacy sessions and stateless 2026-07-28 requests), WebSocket at
 * /mcp (subprotocol "mcp"), legacy HTTP+SSE at /sse + /messages, and /healthz, /readyz,
 * /metrics. Origin, Host and bearer checks answer 403/401 before any MCP processing.
 *
 * Ownership: owned by the server. http_free starts destroying the lws context; the loop
 * must then run until its handles have closed, and http_release frees the rest. */
#ifndef ACK_TRANSPORT_HTTP_H
#define ACK_TRANSPORT_HTTP_H

#include "config.h"
#include "lua_host.h"
#include "mcp.h"
#include "metrics.h"

#include <uv.h>

typedef struct http_server http_server_t;

/* Starts listening on cfg->host:cfg->port. When that fails, err says why and the server
 * returned has http_failed true: it must still go through http_free and http_release. */
http_server_t *http_new(uv_loop_t *loop, mcp_t *m, lua_host_t *host, metrics_t *metrics, const config_t *cfg, char *err,
                        size_t errlen);
/* Graceful shutdown, step one: refuse new requests (503), tell WebSocket clients "going
 * away" once their calls are done, end SSE streams. */
void http_drain(http_server_t *h);
/* Open connections (for the drain to wait on). */
int http_connections(const http_server_t *h);
/* Stops the listener: refuses everything, starts lws's teardown on the loop. */
void http_free(http_server_t *h);
/* After the loop has run the teardown (uv_run returned): frees what is left. */
void http_release(http_server_t *h);
bool http_failed(const http_server_t *h);
/* Whether the listener is ready (tools loaded, not draining): /readyz. */
void http_set_ready(http_server_t *h, bool ready);

#endif
