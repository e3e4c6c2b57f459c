/* transport_stdio.h: MCP over stdin/stdout, one JSON message per line. stdout carries only
 * protocol messages. A line longer than the limit is discarded as it streams in (never
 * held whole) and answered with an error carrying its id when the id can be found.
 *
 * Ownership: owned by the server; stdio_free closes the handles (freed in their callbacks). */
#ifndef ACK_TRANSPORT_STDIO_H
#define ACK_TRANSPORT_STDIO_H

#include "mcp.h"

#include <stddef.h>
#include <uv.h>

typedef struct stdio_transport stdio_transport_t;

/* on_eof fires once when stdin ends (or fails); the session stays usable for answers. */
stdio_transport_t *stdio_new(uv_loop_t *loop, mcp_t *m, size_t max_message, void (*on_eof)(void *ud), void *ud);
/* Bytes queued for stdout and not yet written. */
size_t stdio_pending_output(const stdio_transport_t *t);
/* Stops reading stdin (shutdown). */
void stdio_stop_reading(stdio_transport_t *t);
/* Closes the session (cancelling its calls) and the handles. */
void stdio_free(stdio_transport_t *t);

#endif
