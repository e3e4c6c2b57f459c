/* transport_stdio.c: newline-delimited JSON-RPC on stdin/stdout through libuv streams
 * (pipes, sockets, ttys) or, for regular files, plain reads and writes. */
#include "transport_stdio.h"

#include "ack.h"
#include "idscan.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A client that stops reading stdout must not grow our memory without bound: past the high
 * mark we stop reading its requests until it has taken most of our answers. */
#define OUT_HIGH_WATER (16u << 20)
#define OUT_LOW_WATER (4u << 20)

struct stdio_transport {
  uv_loop_t *loop;
  mcp_session_t *session;
  mcp_transport_t ops;
  size_t max;
  /* stdin */
  union { uv_pipe_t pipe; uv_tty_t tty; } in;
  bool in_is_stream, in_open, reading;
  bool paused;              /* reading stopped for backpressure */
  uv_fs_t in_req;           /* regular-file stdin */
  bool file_pending;        /* in_req in flight: it keeps t alive */
  char file_buf[65536];
  char *line;
  size_t len, cap;
  bool discarding;          /* inside an oversized line */
  size_t discarded;
  idscan_t scan;
  void (*on_eof)(void *ud);
  void *ud;
  bool eof;
  /* stdout */
  union { uv_pipe_t pipe; uv_tty_t tty; } out;
  bool out_is_stream, out_open, out_broken;
  size_t pending;
  int open_handles;
};

typedef struct write_req {
  uv_write_t req;
  stdio_transport_t *t;
  size_t len;
  char data[];
} write_req_t;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_write(uv_write_t *req, int status) {
  write_req_t *w = (write_req_t *)req;
  stdio_transport_t *t = w->t;
  t->pending -= w->len;
  if (t->paused && t->pending < OUT_LOW_WATER) {
    t->paused = false;
    if (t->reading) uv_read_start((uv_stream_t *)&t->in, on_alloc, on_read);
  }
  if (status < 0 && !w->t->out_broken) {
    w->t->out_broken = true;
    log_warn("stdout: %s; answers are dropped from now on", uv_strerror(status));
  }
  free(w);
}

static int stdio_send(void *tctx, const char *data, size_t len, void *origin, bool final) {
  ACK_UNUSED(origin);
  ACK_UNUSED(final);
  stdio_transport_t *t = tctx;
  if (!data) return 0; /* an end without a message: nothing to write on stdio */
  if (t->out_broken) return ACK_EIO;
  if (!t->out_is_stream) {
    /* A file: write synchronously, whole, with the newline. */
    char *buf = malloc(len + 1);
    if (!buf) return ACK_ENOMEM;
    memcpy(buf, data, len);
    buf[len] = '\n';
    size_t off = 0;
    while (off < len + 1) {
      ssize_t n = write(STDOUT_FILENO, buf + off, len + 1 - off);
      if (n <= 0) {
        t->out_broken = true;
        break;
      }
      off += (size_t)n;
    }
    free(buf);
    return t->out_broken ? ACK_EIO : 0;
  }
  write_req_t *w = malloc(sizeof *w + len + 1);
  if (!w) return ACK_ENOMEM;
  w->t = t;
  w->len = len + 1;
  memcpy(w->data, data, len);
  w->data[len] = '\n';
  uv_buf_t b = uv_buf_init(w->data, (unsigned)(len + 1));
  int rc = uv_write(&w->req, (uv_stream_t *)&t->out, &b, 1, on_write);
  if (rc < 0) {
    free(w);
    t->out_broken = true;
    return ACK_EIO;
  }
  t->pending += len + 1;
  if (!t->paused && t->pending > OUT_HIGH_WATER && t->reading && t->in_is_stream) {
    t->paused = true;
    uv_read_stop((uv_stream_t *)&t->in);
    log_warn("stdout: client is not reading (%zu bytes queued); pausing stdin", t->pending);
  }
  return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

static void finish_line(stdio_transport_t *t) {
  if (t->discarding) {
    json_t *id = idscan_result(&t->scan);
    log_warn("stdin: discarded a %zu-byte message over the %zu-byte limit", t->discarded, t->max);
    mcp_session_reject_oversize(t->session, id, t->max, NULL);
    json_decref(id);
    t->discarding = false;
    t->discarded = 0;
    t->len = 0;
    return;
  }
  size_t n = t->len;
  if (n && t->line[n - 1] == '\r') n--;
  t->len = 0;
  size_t i = 0;
  while (i < n && (t->line[i] == ' ' || t->line[i] == '\t')) i++;
  if (i == n) return; /* blank lines are not messages */
  mcp_session_handle(t->session, t->line + i, n - i, NULL);
}

static void consume(stdio_transport_t *t, const char *buf, size_t n) {
  while (n) {
    const char *nl = memchr(buf, '\n', n);
    size_t chunk = nl ? (size_t)(nl - buf) : n;
    if (t->discarding) {
      idscan_feed(&t->scan, buf, chunk);
      t->discarded += chunk;
    } else if (t->len + chunk > t->max) {
      /* Too big: scan what we hold and everything after it for the id, keep nothing. */
      t->discarding = true;
      idscan_init(&t->scan);
      idscan_feed(&t->scan, t->line, t->len);
      idscan_feed(&t->scan, buf, chunk);
      t->discarded = t->len + chunk;
      t->len = 0;
      if (t->cap > 65536) {
        free(t->line);
        t->line = NULL;
        t->cap = 0;
      }
    } else {
      if (t->len + chunk > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + chunk) cap *= 2;
        t->line = ack_xrealloc(t->line, cap);
        t->cap = cap;
      }
      memcpy(t->line + t->len, buf, chunk);
      t->len += chunk;
    }
    if (!nl) return;
    finish_line(t);
    buf = nl + 1;
    n -= chunk + 1;
  }
}

static void at_eof(stdio_transport_t *t) {
  if (t->eof) return;
  t->eof = true;
  if (t->len || t->discarding) finish_line(t); /* a last message without its newline */
  if (t->on_eof) t->on_eof(t->ud);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  ACK_UNUSED(suggested);
  stdio_transport_t *t = h->data;
  *buf = uv_buf_init(t->file_buf, sizeof t->file_buf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  stdio_transport_t *t = s->data;
  if (n > 0) consume(t, buf->base, (size_t)n);
  else if (n < 0) {
    if (n != UV_EOF) log_warn("stdin: %s", uv_strerror((int)n));
    uv_read_stop(s);
    t->reading = false;
    at_eof(t);
  }
}

static void file_read(stdio_transport_t *t);

static void on_close(uv_handle_t *h);

static void on_file_read(uv_fs_t *req) {
  stdio_transport_t *t = req->data;
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  t->file_pending = false;
  if (!t->session) { /* freed while the read was in flight */
    uv_handle_t fake = { .data = t };
    on_close(&fake);
    return;
  }
  if (!t->reading) return;
  if (n > 0) {
    consume(t, t->file_buf, (size_t)n);
    file_read(t);
  } else {
    t->reading = false;
    at_eof(t);
  }
}

static void file_read(stdio_transport_t *t) {
  uv_buf_t b = uv_buf_init(t->file_buf, sizeof t->file_buf);
  t->in_req.data = t;
  t->file_pending = uv_fs_read(t->loop, &t->in_req, STDIN_FILENO, &b, 1, -1, on_file_read) == 0;
}

/* Opens fd as a libuv stream when it is one. Returns true if it is. */
static bool open_stream(uv_loop_t *loop, int fd, void *handle, bool readable, stdio_transport_t *t) {
  uv_handle_type type = uv_guess_handle(fd);
  int rc = -1;
  if (type == UV_TTY) rc = uv_tty_init(loop, handle, fd, readable);
  else if (type == UV_NAMED_PIPE || type == UV_TCP) {
    uv_pipe_init(loop, handle, 0);
    rc = uv_pipe_open(handle, fd);
    if (rc < 0) uv_close(handle, NULL);
  }
  if (rc < 0) return false;
  ((uv_handle_t *)handle)->data = t;
  return true;
}

stdio_transport_t *stdio_new(uv_loop_t *loop, mcp_t *m, size_t max_message, void (*on_eof)(void *ud), void *ud) {
  stdio_transport_t *t = ack_xcalloc(1, sizeof *t);
  t->loop = loop;
  t->max = max_message;
  t->on_eof = on_eof;
  t->ud = ud;
  t->ops.send = stdio_send;
  t->ops.name = "stdio";
  t->out_is_stream = t->out_open = open_stream(loop, STDOUT_FILENO, &t->out, false, t);
  t->session = mcp_session_new(m, &t->ops, t);
  t->in_is_stream = t->in_open = open_stream(loop, STDIN_FILENO, &t->in, true, t);
  t->reading = true;
  if (t->in_is_stream) uv_read_start((uv_stream_t *)&t->in, on_alloc, on_read);
  else file_read(t);
  return t;
}

size_t stdio_pending_output(const stdio_transport_t *t) { return t->pending; }

void stdio_stop_reading(stdio_transport_t *t) {
  if (!t->reading) return;
  t->reading = false;
  if (t->in_is_stream) {
    if (!t->paused) uv_read_stop((uv_stream_t *)&t->in);
  } else if (t->file_pending) uv_cancel((uv_req_t *)&t->in_req);
}

static void on_close(uv_handle_t *h) {
  stdio_transport_t *t = h->data;
  if (--t->open_handles == 0) {
    free(t->line);
    free(t);
  }
}

void stdio_free(stdio_transport_t *t) {
  stdio_stop_reading(t);
  mcp_session_close(t->session);
  t->session = NULL;
  if (t->in_open) { t->open_handles++; uv_close((uv_handle_t *)&t->in, on_close); }
  if (t->out_open) { t->open_handles++; uv_close((uv_handle_t *)&t->out, on_close); }
  if (t->file_pending) t->open_handles++;
  if (!t->open_handles) {
    free(t->line);
    free(t);
  }
}
