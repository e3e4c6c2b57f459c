/* idscan.c: a byte-at-a-time scanner for the top-level "id" of a JSON object. */
#include "idscan.h"

#include <string.h>

void idscan_init(idscan_t *s) {
  memset(s, 0, sizeof *s);
  s->key_match = -1;
}

static void capture(idscan_t *s, char c) {
  if (s->vlen + 1 < sizeof s->value) s->value[s->vlen++] = c;
  else s->capturing = false, s->done = true, s->vlen = 0; /* too long to be an id we can use */
}

void idscan_feed(idscan_t *s, const char *buf, size_t len) {
  for (size_t i = 0; i < len && !s->done; i++) {
    char c = buf[i];
    if (s->in_string) {
      if (s->capturing) capture(s, c);
      if (s->escape) {
        s->escape = false;
        s->key_match = -1;
      } else if (c == '\\') {
        s->escape = true;
      } else if (c == '"') {
        s->in_string = false;
        if (s->in_key) {
          s->in_key = false;
          s->want_value = s->key_match == 2;
        } else if (s->capturing) {
          s->capturing = false;
          s->done = true;
        }
      } else if (s->in_key && s->key_match >= 0) {
        s->key_match = s->key_match < 2 && c == "id"[s->key_match] ? s->key_match + 1 : -1;
      }
      continue;
    }
    if (s->capturing) { /* number */
      if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
        capture(s, c);
        continue;
      }
      s->capturing = false;
      s->done = true;
      break;
    }
    switch (c) {
    case '"':
      s->in_string = true;
      if (s->depth == 1 && s->expect_key) {
        s->in_key = true;
        s->expect_key = false;
        s->key_match = 0;
      } else if (s->depth == 1 && s->want_value) {
        s->capturing = true;
        s->want_value = false;
        capture(s, c);
      }
      break;
    case '{':
    case '[':
      s->depth++;
      if (s->depth == 1) s->expect_key = c == '{';
      s->want_value = false;
      break;
    case '}':
    case ']':
      s->depth--;
      break;
    case ',':
      if (s->depth == 1) s->expect_key = true;
      s->want_value = false;
      break;
    case ':':
      break;
    case ' ': case '\t': case '\r': case '\n':
      break;
    default:
      if (s->depth == 1 && s->want_value && ((c >= '0' && c <= '9') || c == '-')) {
        s->capturing = true;
        s->want_value = false;
        capture(s, c);
      } else {
        s->want_value = false;
      }
    }
  }
}

json_t *idscan_result(const idscan_t *s) {
  if (!s->done || s->vlen == 0) return NULL;
  json_t *v = json_loadb(s->value, s->vlen, JSON_DECODE_ANY, NULL);
  if (v && (json_is_string(v) || json_is_integer(v))) return v;
  json_decref(v);
  return NULL;
}
