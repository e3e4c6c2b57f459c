/* http_client.h: outgoing HTTP on the server's libuv loop (libcurl's multi interface driven
 * by uv_poll and uv_timer), for the bridges and the `http` host module. Every request has a
 * deadline and a response size cap, and can be cancelled.
 *
 * Ownership: the client is owned by the server; a request by the client until its callback
 * has returned or it was cancelled (then no callback comes). */
#ifndef ACK_HTTP_CLIENT_H
#define ACK_HTTP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct http_client http_client_t;
typedef struct http_req http_req_t;

typedef struct http_opts {
  const char *method;         /* GET when NULL */
  const char *url;
  const json_t *headers;      /* object name -> string value, or NULL */
  const char *body;           /* may be NULL */
  size_t body_len;
  double timeout;             /* seconds, whole request */
  size_t max_bytes;           /* response body cap */
  const char *ca_file;        /* extra trust, or NULL for the system store */
  const char *ca_pem;         /* trust from memory (PEM), instead of ca_file */
  size_t ca_len;
  const char *cert_pem, *key_pem;   /* client certificate and key from memory (PEM), or NULL */
  size_t cert_len, key_len;
  const char *cert_file, *key_file; /* ... or from files */
  const char *proxy;          /* proxy URL, or NULL (curl's environment defaults stay off) */
  const char *tls_server_name;/* verify the server's certificate for this name instead of the URL's host */
  bool insecure;              /* skip TLS verification (explicit opt-in only) */
} http_opts_t;

typedef struct http_response {
  long status;                /* 0 when the request failed before a response */
  json_t *headers;            /* lower-case name -> value */
  char *body;
  size_t len;
  const char *error_code;     /* NULL on success, else "Timeout", "TooLarge", "ConnectionFailed", ... */
  char error[256];
} http_response_t;

typedef void (*http_done_cb)(void *ud, http_response_t *resp); /* resp is freed after it returns */

http_client_t *http_client_new(uv_loop_t *loop);
/* Cancels every request (no callbacks), then frees the client once its handles closed. */
void http_client_free(http_client_t *c);
/* Starts a request. Returns NULL (and calls nothing) when it cannot start, with err set. */
http_req_t *http_request(http_client_t *c, const http_opts_t *o, http_done_cb done, void *ud, char *err, size_t errlen);
/* Aborts a request in flight; its callback will not be called. */
void http_cancel(http_req_t *r);

#endif
