/* idscan.h: finds the top-level "id" of a JSON-RPC message while it streams past, so an
 * oversized message can be refused with an error its sender can match, without keeping
 * the message. Tolerant: on anything odd it simply finds no id. */
#ifndef ACK_IDSCAN_H
#define ACK_IDSCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct idscan {
  int depth;
  bool in_string, escape;
  bool in_key;          /* the string being read is an object key at depth 1 */
  bool expect_key;      /* next string at depth 1 is a key */
  int key_match;        /* chars of "id" matched so far, -1 when it can't match */
  bool want_value;      /* the key was "id": capture after ':' */
  bool capturing;
  char value[96];
  size_t vlen;
  bool done;
} idscan_t;

void idscan_init(idscan_t *s);
void idscan_feed(idscan_t *s, const char *buf, size_t len);
/* The id found (a new reference to a string or integer), or NULL. */
json_t *idscan_result(const idscan_t *s);

#endif
