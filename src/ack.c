/* ack.c: error names and allocation helpers. */
#include "ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ack_strerror(int code) {
  switch (code) {
  case ACK_OK: return "success";
  case ACK_ENOMEM: return "out of memory";
  case ACK_EINVAL: return "invalid argument";
  case ACK_EIO: return "input/output error";
  case ACK_ENOENT: return "not found";
  case ACK_ETOOBIG: return "over the size limit";
  case ACK_EPERM: return "refused by policy";
  case ACK_ESTATE: return "invalid state";
  case ACK_ELUA: return "Lua error";
  default: return "unknown error";
  }
}

static void oom(void) {
  fputs("ack-mcp-server: out of memory\n", stderr);
  abort();
}

void *ack_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) oom();
  return p;
}

void *ack_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) oom();
  return p;
}

void *ack_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) oom();
  return q;
}

char *ack_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  char *d = ack_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *ack_strdup(const char *s) {
  return s ? ack_strndup(s, strlen(s)) : NULL;
}
