/* mcp.h: MCP over JSON-RPC for both eras, independent of the transport.
 * Legacy revisions (2024-11-05 .. 2025-11-25) negotiate once with initialize; 2026-07-28
 * requests carry their version and capabilities in params._meta and need no session
 * state. A transport creates one session per connection (stdio: one for the process) and
 * feeds it whole messages; the session answers through the transport's send function.
 *
 * Ownership: mcp_t is owned by the server. A session is owned by its transport until
 * mcp_session_close, after which the mcp layer frees it once its calls have ended. */
#ifndef ACK_MCP_H
#define ACK_MCP_H

#include "config.h"
#include "lua_host.h"
#include "metrics.h"
#include "tool_registry.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mcp mcp_t;
typedef struct mcp_session mcp_session_t;

/* JSON-RPC and MCP error codes. */
enum {
  JSONRPC_PARSE_ERROR = -32700,
  JSONRPC_INVALID_REQUEST = -32600,
  JSONRPC_METHOD_NOT_FOUND = -32601,
  JSONRPC_INVALID_PARAMS = -32602,
  JSONRPC_INTERNAL_ERROR = -32603,
  MCP_HEADER_MISMATCH = -32020,
  MCP_MISSING_CLIENT_CAPABILITY = -32021,
  MCP_UNSUPPORTED_PROTOCOL_VERSION = -32022,
};

typedef struct mcp_transport {
  /* Sends one serialized message (no trailing newline). origin is what the transport passed
   * to mcp_session_handle for the message this one answers or belongs to (progress, logs,
   * elicitation of that request), NULL for unrelated ones (list_changed, server logs); final
   * marks the answer that completes that origin. data NULL (final, len 0) says origin ends
   * without an answer: the client cancelled it. Returns 0 or a negative error. */
  int (*send)(void *tctx, const char *data, size_t len, void *origin, bool final);
  const char *name; /* "stdio", "http", ... for logs and metrics */
} mcp_transport_t;

/* metrics may be NULL. */
mcp_t *mcp_new(const config_t *cfg, lua_host_t *host, registry_t *reg, metrics_t *metrics);
/* Frees the dispatcher; every session must have been closed first. */
void mcp_free(mcp_t *m);

mcp_session_t *mcp_session_new(mcp_t *m, const mcp_transport_t *t, void *tctx);
/* Handles one message (a line on stdio, a frame on WebSocket, an HTTP POST body); origin is
 * the transport's cookie for where its answers go. Answers may be sent before this returns
 * or later, when a tool call finishes. Returns true when a final answer is (or has been)
 * sent for origin, false when the message needs none (notifications, responses). */
bool mcp_session_handle(mcp_session_t *s, const char *buf, size_t len, void *origin);
/* Answers a message the transport refused for its size without reading it whole; id is
 * the request id if the transport could find it (borrowed, may be NULL). */
void mcp_session_reject_oversize(mcp_session_t *s, const json_t *id, size_t limit, void *origin);
/* The place answers for origin would go is gone (an HTTP client hung up): its requests are
 * cancelled and nothing more is sent for it. */
void mcp_session_origin_gone(mcp_session_t *s, void *origin);
/* Cloud credentials for the requests handled next on this session (the HTTP transport sets
 * them per request from X-Aliyun-* headers, WebSocket once at upgrade); stolen, NULL clears.
 * Tool calls started meanwhile see them as ctx.credentials. */
void mcp_session_set_credentials(mcp_session_t *s, json_t *credentials);
/* The legacy revision negotiated by initialize, or NULL before it (and for 2026-07-28). */
const char *mcp_session_version(const mcp_session_t *s);
/* Requests of the session in flight. */
int mcp_session_inflight(const mcp_session_t *s);
/* The transport is gone: cancels the session's calls and frees it when they are done. */
void mcp_session_close(mcp_session_t *s);

/* Number of tool calls running across sessions. */
int mcp_active_calls(const mcp_t *m);
/* Stops taking new requests (they get an error) and ends open subscriptions. */
void mcp_drain(mcp_t *m);
/* Cancels every running call (a client still listening gets an error response). */
void mcp_cancel_all(mcp_t *m, const char *reason);

/* Tells every session which lists changed (kinds: bits 1 << REG_TOOL, REG_PROMPT,
 * REG_RESOURCE): legacy sessions, 2026-07-28 listeners, and resource subscribers. */
void mcp_list_changed(mcp_t *m, unsigned kinds);
/* Sends a server log message (notifications/message) to sessions that want that level. */
void mcp_log(mcp_t *m, log_level_t level, const char *logger, const char *text);

#endif
