/* http_security.h: the checks every HTTP request passes before any MCP processing: Origin
 * (against an allow-list with port wildcards), Host (against DNS rebinding when bound to
 * loopback) and the bearer token (constant-time). Pure functions, no I/O. */
#ifndef ACK_HTTP_SECURITY_H
#define ACK_HTTP_SECURITY_H

#include <stdbool.h>
#include <stddef.h>

/* Whether origin matches one entry of the comma list allowed: exact "scheme://host[:port]",
 * or "scheme://host:*" for any port. NULL or empty allowed means the loopback defaults:
 * http(s)://localhost, 127.0.0.1 and [::1] on any port. */
bool http_origin_allowed(const char *origin, const char *allowed);
/* Whether a Host header names a loopback host (localhost, 127.0.0.1, [::1], any port). */
bool http_host_is_loopback(const char *host);
/* Whether the bind address is loopback (the Host check applies then). */
bool http_bind_is_loopback(const char *bind);
/* Constant-time check of an Authorization header value against "Bearer <token>". */
bool http_bearer_ok(const char *header, const char *token);

#endif
