/* http_client.c: libcurl multi on libuv. curl tells us which sockets to watch and when to
 * wake it (socket and timer callbacks); we tell it what happened (curl_multi_socket_action)
 * and collect finished transfers. */
#include "http_client.h"

#include "ack.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_client {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  http_req_t *reqs;     /* in flight, for cancelling them all at the end */
};

struct http_req {
  http_client_t *client;
  CURL *easy;
  struct curl_slist *headers;
  struct curl_slist *connect_to;
  http_done_cb done;
  void *ud;
  http_response_t resp;
  size_t cap, max_bytes;
  bool too_big;
  char errbuf[CURL_ERROR_SIZE];  /* curl's detailed reason ("no alternative certificate subject name matches ...") */
  http_req_t *prev, *next;
};

typedef struct poll_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  http_client_t *client;
} poll_ctx_t;

static void check_done(http_client_t *c);

static void req_free(http_req_t *r) {
  if (r->prev) r->prev->next = r->next;
  else if (r->client->reqs == r) r->client->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  curl_slist_free_all(r->headers);
  curl_slist_free_all(r->connect_to);
  curl_easy_cleanup(r->easy);
  json_decref(r->resp.headers);
  free(r->resp.body);
  free(r);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  http_req_t *r = ud;
  size_t len = size * n;
  if (r->resp.len + len > r->max_bytes) {
    r->too_big = true;
    return 0; /* curl stops with CURLE_WRITE_ERROR */
  }
  if (r->resp.len + len + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->resp.len + len + 1) cap *= 2;
    char *nb = realloc(r->resp.body, cap);
    if (!nb) return 0;
    r->resp.body = nb;
    r->cap = cap;
  }
  memcpy(r->resp.body + r->resp.len, data, len);
  r->resp.len += len;
  r->resp.body[r->resp.len] = '\0';
  return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  http_req_t *r = ud;
  size_t len = size * n;
  const char *colon = memchr(data, ':', len);
  if (!colon) {
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) json_object_clear(r->resp.headers); /* a new response (redirect, 100) */
    return len;
  }
  char name[128];
  size_t nn = (size_t)(colon - data);
  if (nn >= sizeof name) return len;
  for (size_t i = 0; i < nn; i++) name[i] = (char)tolower((unsigned char)data[i]);
  name[nn] = '\0';
  const char *v = colon + 1, *end = data + len;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  json_object_set_new(r->resp.headers, name, json_stringn(v, (size_t)(end - v)));
  return len;
}

static void on_poll(uv_poll_t *p, int status, int events) {
  poll_ctx_t *pc = p->data;
  int flags = status < 0 ? CURL_CSELECT_ERR : 0;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(pc->client->multi, pc->fd, flags, &running);
  check_done(pc->client);
}

static void poll_closed(uv_handle_t *h) { free(h->data); }

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  ACK_UNUSED(easy);
  http_client_t *c = userp;
  poll_ctx_t *pc = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (pc) {
      uv_poll_stop(&pc->poll);
      uv_close((uv_handle_t *)&pc->poll, poll_closed);
      curl_multi_assign(c->multi, fd, NULL);
    }
    return 0;
  }
  if (!pc) {
    pc = ack_xcalloc(1, sizeof *pc);
    pc->fd = fd;
    pc->client = c;
    uv_poll_init_socket(c->loop, &pc->poll, fd);
    pc->poll.data = pc;
    curl_multi_assign(c->multi, fd, pc);
  }
  int events = (what & CURL_POLL_IN ? UV_READABLE : 0) | (what & CURL_POLL_OUT ? UV_WRITABLE : 0);
  uv_poll_start(&pc->poll, events, on_poll);
  return 0;
}

static void on_timeout(uv_timer_t *t) {
  http_client_t *c = t->data;
  int running;
  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(c);
}

static int on_timer(CURLM *multi, long ms, void *userp) {
  ACK_UNUSED(multi);
  http_client_t *c = userp;
  if (ms < 0) uv_timer_stop(&c->timer);
  else uv_timer_start(&c->timer, on_timeout, (uint64_t)ms, 0);
  return 0;
}

static void check_done(http_client_t *c) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(c->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    http_req_t *r = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    CURLcode rc = m->data.result;
    curl_multi_remove_handle(c->multi, m->easy_handle);
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->resp.status);
    if (r->too_big) {
      r->resp.error_code = "TooLarge";
      snprintf(r->resp.error, sizeof r->resp.error, "response larger than %zu bytes", r->max_bytes);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      r->resp.error_code = "Timeout";
      snprintf(r->resp.error, sizeof r->resp.error, "no complete answer in time: %s", curl_easy_strerror(rc));
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
               rc == CURLE_SSL_CERTPROBLEM) {
      r->resp.error_code = "TLSError";
      snprintf(r->resp.error, sizeof r->resp.error, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
      r->resp.error_code = "ConnectionFailed";
      snprintf(r->resp.error, sizeof r->resp.error, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
    }
    if (!r->resp.status && !r->resp.error_code) r->resp.error_code = "ConnectionFailed";
    r->done(r->ud, &r->resp);
    req_free(r);
  }
}

static void set_blob(CURL *e, CURLoption opt, const char *data, size_t len) {
  struct curl_blob b = { .data = (void *)data, .len = len, .flags = CURL_BLOB_COPY };
  curl_easy_setopt(e, opt, &b);
}

/* kubeconfig's tls-server-name: curl verifies the URL's host, so the URL names the TLS name
 * and CONNECT_TO sends the connection to the real host (the Host header then carries the
 * TLS name too, which an API server does not mind). */
static bool connect_via_name(http_req_t *r, const http_opts_t *o, char *err, size_t errlen) {
  CURLU *u = curl_url();
  char *host = NULL, *port = NULL, *url = NULL;
  bool ok = false;
  if (curl_url_set(u, CURLUPART_URL, o->url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_HOST, o->tls_server_name, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
    char line[600];
    snprintf(line, sizeof line, "%s:%s:%s:%s", o->tls_server_name, port, host, port);
    r->connect_to = curl_slist_append(NULL, line);
    curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to);
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    ok = true;
  } else {
    snprintf(err, errlen, "cannot apply tls-server-name %s to %s", o->tls_server_name, o->url);
  }
  curl_free(host);
  curl_free(port);
  curl_free(url);
  curl_url_cleanup(u);
  return ok;
}

http_client_t *http_client_new(uv_loop_t *loop) {
  http_client_t *c = ack_xcalloc(1, sizeof *c);
  c->loop = loop;
  c->multi = curl_multi_init();
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  return c;
}

http_req_t *http_request(http_client_t *c, const http_opts_t *o, http_done_cb done, void *ud, char *err, size_t errlen) {
  http_req_t *r = ack_xcalloc(1, sizeof *r);
  r->client = c;
  r->done = done;
  r->ud = ud;
  r->max_bytes = o->max_bytes ? o->max_bytes : (8u << 20);
  r->resp.headers = json_object();
  r->easy = curl_easy_init();
  if (!r->easy) {
    snprintf(err, errlen, "cannot create a curl handle");
    req_free(r);
    return NULL;
  }
  CURL *e = r->easy;
  curl_easy_setopt(e, CURLOPT_URL, o->url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, o->method ? o->method : "GET");
  if (o->method && strcmp(o->method, "HEAD") == 0) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  if (o->body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
  }
  const char *name;
  json_t *value;
  json_object_foreach((json_t *)o->headers, name, value) {
    char line[4096];
    if (!json_is_string(value)) continue;
    snprintf(line, sizeof line, "%s: %s", name, json_string_value(value));
    r->headers = curl_slist_append(r->headers, line);
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)((o->timeout > 0 ? o->timeout : 30) * 1000.0));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"); /* no file://, no gopher:// */
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (o->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
  if (o->ca_pem) set_blob(e, CURLOPT_CAINFO_BLOB, o->ca_pem, o->ca_len);
  if (o->cert_pem) set_blob(e, CURLOPT_SSLCERT_BLOB, o->cert_pem, o->cert_len);
  else if (o->cert_file) curl_easy_setopt(e, CURLOPT_SSLCERT, o->cert_file);
  if (o->key_pem) set_blob(e, CURLOPT_SSLKEY_BLOB, o->key_pem, o->key_len);
  else if (o->key_file) curl_easy_setopt(e, CURLOPT_SSLKEY, o->key_file);
  curl_easy_setopt(e, CURLOPT_PROXY, o->proxy ? o->proxy : ""); /* "": no proxy from the environment */
  if (o->tls_server_name && !connect_via_name(r, o, err, errlen)) {
    req_free(r);
    return NULL;
  }
  if (o->insecure) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
    snprintf(err, errlen, "cannot start the request");
    req_free(r);
    return NULL;
  }
  r->next = c->reqs;
  if (c->reqs) c->reqs->prev = r;
  c->reqs = r;
  return r;
}

void http_cancel(http_req_t *r) {
  if (!r) return;
  curl_multi_remove_handle(r->client->multi, r->easy); /* closes its sockets: on_socket REMOVE */
  req_free(r);
}

static void client_closed(uv_handle_t *h) {
  http_client_t *c = h->data;
  curl_multi_cleanup(c->multi);
  free(c);
}

void http_client_free(http_client_t *c) {
  if (!c) return;
  while (c->reqs) http_cancel(c->reqs);
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, client_closed);
}
