/* ack.h: project-wide error codes and small helpers shared by every module.
 * Functions return 0 on success or a negative ACK_E* code; ack_strerror() names it. */
#ifndef ACK_H
#define ACK_H

#include <stddef.h>

#define ACK_VERSION "0.1.0"
#define ACK_NAME "ack-mcp-server"

enum {
  ACK_OK = 0,
  ACK_ENOMEM = -1,    /* allocation failed */
  ACK_EINVAL = -2,    /* invalid argument or value */
  ACK_EIO = -3,       /* read/write failed */
  ACK_ENOENT = -4,    /* no such file, tool or id */
  ACK_ETOOBIG = -5,   /* over a configured size limit */
  ACK_EPERM = -6,     /* refused by policy (write gate) */
  ACK_ESTATE = -7,    /* operation not valid in the current state */
  ACK_ELUA = -8,      /* Lua raised an error */
};

/* Returns a static description of an ACK_E* code. */
const char *ack_strerror(int code);

/* Returns a malloc'd copy of s (NULL-safe); aborts on allocation failure. */
char *ack_strdup(const char *s);
/* Like ack_strdup for the first n bytes, always NUL-terminated. */
char *ack_strndup(const char *s, size_t n);
/* malloc/calloc/realloc that abort on failure: used where failure has no sane recovery
 * (small control structures); bulk or attacker-sized buffers use plain malloc and check. */
void *ack_xmalloc(size_t n);
void *ack_xcalloc(size_t n, size_t size);
void *ack_xrealloc(void *p, size_t n);

#define ACK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ACK_UNUSED(x) ((void)(x))

#endif
