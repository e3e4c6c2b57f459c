/* yaml_codec.c: YAML <-> jansson over libyaml's event API (no document tree: events go
 * straight into jansson values). Scalar resolution follows go-yaml v2's resolve(), which is
 * what kubectl applies to manifests; timestamps stay strings as they do there.
 *
 * Limits against hostile input: containers nest at most YAML_CODEC_MAX_DEPTH deep (libyaml
 * itself keeps its stacks on the heap, our builder is iterative), and aliases may expand
 * to at most YAML_CODEC_MAX_ALIAS_NODES nodes per stream. */
#include "yaml_codec.h"

#include "ack.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- scalars ------------------------------------------------------------------------ */

typedef enum { SC_STR, SC_NULL, SC_BOOL, SC_INT, SC_FLOAT, SC_NONFINITE, SC_MERGE } scalar_kind_t;

typedef struct scalar {
  scalar_kind_t kind;
  bool b;
  long long i;
  double d;
} scalar_t;

/* go-yaml v2's resolve map: YAML 1.1 booleans included, as kubectl reads them. */
#define W(text, kind, b) { text, sizeof text - 1, kind, b }
static const struct {
  const char *text;
  size_t len;
  scalar_kind_t kind;
  bool b;
} plain_words[] = {
  W("y", SC_BOOL, true),      W("Y", SC_BOOL, true),       W("yes", SC_BOOL, true),
  W("Yes", SC_BOOL, true),    W("YES", SC_BOOL, true),     W("true", SC_BOOL, true),
  W("True", SC_BOOL, true),   W("TRUE", SC_BOOL, true),    W("on", SC_BOOL, true),
  W("On", SC_BOOL, true),     W("ON", SC_BOOL, true),      W("n", SC_BOOL, false),
  W("N", SC_BOOL, false),     W("no", SC_BOOL, false),     W("No", SC_BOOL, false),
  W("NO", SC_BOOL, false),    W("false", SC_BOOL, false),  W("False", SC_BOOL, false),
  W("FALSE", SC_BOOL, false), W("off", SC_BOOL, false),    W("Off", SC_BOOL, false),
  W("OFF", SC_BOOL, false),   W("~", SC_NULL, false),      W("null", SC_NULL, false),
  W("Null", SC_NULL, false),  W("NULL", SC_NULL, false),   W(".nan", SC_NONFINITE, false),
  W(".NaN", SC_NONFINITE, false), W(".NAN", SC_NONFINITE, false), W(".inf", SC_NONFINITE, false),
  W(".Inf", SC_NONFINITE, false), W(".INF", SC_NONFINITE, false), W("+.inf", SC_NONFINITE, false),
  W("+.Inf", SC_NONFINITE, false), W("+.INF", SC_NONFINITE, false), W("-.inf", SC_NONFINITE, false),
  W("-.Inf", SC_NONFINITE, false), W("-.INF", SC_NONFINITE, false), W("<<", SC_MERGE, false),
};
#undef W

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digit_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

/* Go's strconv.ParseInt(s, 0, 64), falling back to ParseUint: sign, then 0x/0o/0b or a
 * leading 0 (octal, so `defaultMode: 0644` is 420 as in kubectl). Returns 1 with *i for an
 * int64, 2 with *u for a value only uint64 holds, 0 when s is not an integer. */
static int parse_int(const char *s, size_t n, long long *i, unsigned long long *u) {
  size_t k = 0;
  bool neg = false;
  if (k < n && (s[k] == '+' || s[k] == '-')) neg = s[k++] == '-';
  int base = 10;
  if (k + 1 < n && s[k] == '0') {
    char c = (char)(s[k + 1] | 0x20);
    if (c == 'x') base = 16, k += 2;
    else if (c == 'o') base = 8, k += 2;
    else if (c == 'b') base = 2, k += 2;
    else base = 8, k += 1;
  }
  if (k >= n) return 0;
  unsigned long long v = 0;
  for (; k < n; k++) {
    int d = digit_value(s[k]);
    if (d >= base) return 0;
    if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) return 0;
    v = v * (unsigned)base + (unsigned)d;
  }
  if (neg) {
    if (v > (unsigned long long)LLONG_MAX + 1) return 0;
    *i = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    return 1;
  }
  if (v <= (unsigned long long)LLONG_MAX) {
    *i = (long long)v;
    return 1;
  }
  *u = v;
  return 2;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's yamlStyleFloat). */
static bool float_syntax(const char *s, size_t n) {
  size_t k = 0;
  if (k < n && (s[k] == '+' || s[k] == '-')) k++;
  size_t int0 = k;
  while (k < n && is_digit(s[k])) k++;
  size_t intd = k - int0;
  if (k < n && s[k] == '.') {
    size_t f0 = ++k;
    while (k < n && is_digit(s[k])) k++;
    if (intd == 0 && k == f0) return false;
  } else if (intd == 0) {
    return false;
  }
  if (k < n && (s[k] == 'e' || s[k] == 'E')) {
    k++;
    if (k < n && (s[k] == '+' || s[k] == '-')) k++;
    size_t e0 = k;
    while (k < n && is_digit(s[k])) k++;
    if (k == e0) return false;
  }
  return k == n;
}

/* strtod of a NUL-terminated float_syntax string; false on overflow (Go's ParseFloat
 * reports ErrRange there and go-yaml keeps the text as a string). */
static bool to_double(const char *s, double *d) {
  *d = strtod(s, NULL);
  return isfinite(*d);
}

/* What a plain (unquoted, untagged) scalar means. */
static void resolve_plain(const char *s, size_t n, scalar_t *out) {
  memset(out, 0, sizeof *out);
  out->kind = SC_STR;
  if (n == 0) {
    out->kind = SC_NULL;
    return;
  }
  /* The words are at most 5 bytes and start with one of these (go-yaml's hint table). */
  for (size_t w = 0; n <= 5 && strchr("yYnNtTfFoO~.+-<", s[0]) && w < ACK_ARRAY_LEN(plain_words); w++) {
    if (plain_words[w].len == n && memcmp(plain_words[w].text, s, n) == 0) {
      out->kind = plain_words[w].kind;
      out->b = plain_words[w].b;
      return;
    }
  }
  char c = s[0];
  if (c != '.' && c != '+' && c != '-' && !is_digit(c)) return;
  if (memchr(s, '\0', n)) return;
  char *p = ack_xmalloc(n + 1);
  size_t m = 0;
  for (size_t k = 0; k < n; k++)
    if (c == '.' || s[k] != '_') p[m++] = s[k]; /* go-yaml drops '_' from numbers (1_000) */
  p[m] = '\0';
  unsigned long long u;
  int r = c == '.' ? 0 : parse_int(p, m, &out->i, &u);
  if (r == 1) {
    out->kind = SC_INT;
  } else if (r == 2) {
    out->kind = SC_FLOAT; /* beyond int64: jansson has no uint64 */
    out->d = (double)u;
  } else if (float_syntax(p, m) && to_double(p, &out->d)) {
    out->kind = SC_FLOAT;
  }
  free(p);
}

/* The shortest %g text that reads back as v. */
static void shortest_double(double v, char *buf, size_t len) {
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, len, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

/* Strings a YAML reader would not give back as strings when written plain: the resolvable
 * ones, plus what go-yaml quotes for other readers' sake (timestamps, YAML 1.1 base 60). */
static bool needs_quotes(const char *s, size_t n) {
  scalar_t sc;
  resolve_plain(s, n, &sc);
  if (sc.kind != SC_STR) return true;
  if (n >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-')
    return true;
  /* ^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$ */
  size_t k = 0;
  if (k < n && (s[k] == '+' || s[k] == '-')) k++;
  if (k >= n || !is_digit(s[k])) return false;
  while (k < n && (is_digit(s[k]) || s[k] == '_')) k++;
  int groups = 0;
  while (k < n && s[k] == ':') {
    k++;
    size_t d0 = k;
    while (k < n && is_digit(s[k]) && k - d0 < 2) k++;
    if (k == d0 || (k - d0 == 2 && s[d0] > '5')) return false;
    groups++;
  }
  if (!groups) return false;
  if (k < n && s[k] == '.') {
    k++;
    while (k < n && (is_digit(s[k]) || s[k] == '_')) k++;
  }
  return k == n;
}

/* ---- decoding ----------------------------------------------------------------------- */

typedef struct frame {
  json_t *node;       /* the object or array being filled */
  char *anchor;       /* its anchor, registered when it completes; or NULL */
  size_t nodes;       /* nodes in it so far, aliases expanded */
  int height;         /* tallest child so far (scalars 0) */
  json_t *key;        /* mappings: the key waiting for its value, or NULL */
  bool merge;         /* ... and it is the merge key << */
  yaml_mark_t key_mark;
  json_t *merged;     /* keys from << merges, added at the end unless set explicitly */
} frame_t;

typedef struct decoder {
  frame_t stack[YAML_CODEC_MAX_DEPTH];
  int depth;
  json_t *anchors;    /* name -> [node, nodes, height], this document's */
  size_t alias_nodes; /* nodes copied through aliases, whole stream */
  json_t *root;       /* the finished document root, or NULL */
  char *err;
  size_t errlen;
} decoder_t;

static bool fail_at(decoder_t *d, yaml_mark_t m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail_at(decoder_t *d, yaml_mark_t m, const char *fmt, ...) {
  int off = snprintf(d->err, d->errlen, "line %zu, column %zu: ", m.line + 1, m.column + 1);
  if (off > 0 && (size_t)off < d->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err + off, d->errlen - (size_t)off, fmt, ap);
    va_end(ap);
  }
  return false;
}

static void frame_clear(frame_t *f) {
  json_decref(f->node);
  json_decref(f->key);
  json_decref(f->merged);
  free(f->anchor);
  memset(f, 0, sizeof *f);
}

/* The text a non-string key stands for, as sigs.k8s.io/yaml spells it. New reference. */
static json_t *key_string(const json_t *k) {
  char buf[64];
  switch (json_typeof(k)) {
  case JSON_STRING: return json_incref((json_t *)k);
  case JSON_INTEGER: snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(k)); break;
  case JSON_REAL: shortest_double(json_real_value(k), buf, sizeof buf); break;
  case JSON_TRUE: return json_string("true");
  case JSON_FALSE: return json_string("false");
  case JSON_NULL: return json_string("null");
  default: return NULL;
  }
  return json_string(buf);
}

static bool merge_object(frame_t *f, json_t *src) {
  if (!f->merged) f->merged = json_object();
  const char *k;
  size_t klen;
  json_t *v;
  json_object_keylen_foreach(src, k, klen, v) {
    if (!json_object_getn(f->merged, k, klen)) json_object_setn_nocheck(f->merged, k, klen, v);
  }
  return true;
}

/* Hands a finished node to the open container (or makes it the root). Steals node. */
static bool add_node(decoder_t *d, json_t *node, size_t nodes, int height, char *anchor, bool merge_key,
                     yaml_mark_t mark) {
  if (anchor) {
    json_object_set_new(d->anchors, anchor, json_pack("[O,I,i]", node, (json_int_t)nodes, height));
    free(anchor);
  }
  if (d->depth == 0) {
    json_decref(d->root);
    d->root = node;
    return true;
  }
  frame_t *f = &d->stack[d->depth - 1];
  f->nodes += nodes;
  if (height > f->height) f->height = height;
  if (json_is_array(f->node)) {
    json_array_append_new(f->node, node);
    return true;
  }
  if (!f->key) {
    if (merge_key) {
      json_decref(node);
      f->key = json_string("<<");
      f->merge = true;
      return true;
    }
    f->key = key_string(node);
    json_decref(node);
    f->key_mark = mark;
    if (!f->key) return fail_at(d, mark, "a mapping key must be a scalar");
    return true;
  }
  bool ok = true;
  if (f->merge) {
    if (json_is_object(node)) {
      merge_object(f, node);
    } else if (json_is_array(node)) {
      for (size_t i = 0; ok && i < json_array_size(node); i++) {
        json_t *item = json_array_get(node, i);
        if (json_is_object(item)) merge_object(f, item);
        else ok = fail_at(d, mark, "the merge key << takes a mapping or a list of mappings");
      }
    } else {
      ok = fail_at(d, mark, "the merge key << takes a mapping or a list of mappings");
    }
    json_decref(node);
  } else {
    const char *k = json_string_value(f->key);
    size_t klen = json_string_length(f->key);
    if (json_object_getn(f->node, k, klen)) {
      json_decref(node);
      ok = fail_at(d, f->key_mark, "duplicate key \"%.*s\"", (int)(klen > 200 ? 200 : klen), k);
    } else {
      json_object_setn_new_nocheck(f->node, k, klen, node);
    }
  }
  json_decref(f->key);
  f->key = NULL;
  f->merge = false;
  return ok;
}

static bool key_expected(const decoder_t *d) {
  return d->depth > 0 && json_is_object(d->stack[d->depth - 1].node) && !d->stack[d->depth - 1].key;
}

static bool open_node(decoder_t *d, json_t *node, const yaml_char_t *anchor, yaml_mark_t mark) {
  if (key_expected(d)) {
    json_decref(node);
    return fail_at(d, mark, "a mapping key must be a scalar (complex keys are not supported)");
  }
  if (d->depth >= YAML_CODEC_MAX_DEPTH) {
    json_decref(node);
    return fail_at(d, mark, "nested deeper than %d levels", YAML_CODEC_MAX_DEPTH);
  }
  frame_t *f = &d->stack[d->depth++];
  memset(f, 0, sizeof *f);
  f->node = node;
  f->anchor = anchor ? ack_strdup((const char *)anchor) : NULL;
  return true;
}

static bool close_node(decoder_t *d, yaml_mark_t mark) {
  frame_t *f = &d->stack[d->depth - 1];
  if (f->merged) {
    const char *k;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(f->merged, k, klen, v) {
      if (!json_object_getn(f->node, k, klen)) json_object_setn_nocheck(f->node, k, klen, v);
    }
  }
  json_t *node = f->node;
  char *anchor = f->anchor;
  size_t nodes = f->nodes + 1;
  int height = f->height + 1;
  f->node = NULL;
  f->anchor = NULL;
  frame_clear(f);
  d->depth--;
  return add_node(d, node, nodes, height, anchor, false, mark);
}

static bool is_core_tag(const char *tag, const char *name) {
  static const char prefix[] = "tag:yaml.org,2002:";
  return strncmp(tag, prefix, sizeof prefix - 1) == 0 && strcmp(tag + sizeof prefix - 1, name) == 0;
}

static json_t *scalar_json(const scalar_t *sc, const char *s, size_t n) {
  switch (sc->kind) {
  case SC_NULL: return json_null();
  case SC_BOOL: return json_boolean(sc->b);
  case SC_INT: return json_integer((json_int_t)sc->i);
  case SC_FLOAT: return json_real(sc->d);
  default: return json_stringn(s, n);
  }
}

static bool on_scalar(decoder_t *d, const yaml_event_t *ev) {
  const char *s = (const char *)ev->data.scalar.value;
  size_t n = ev->data.scalar.length;
  const char *tag = (const char *)ev->data.scalar.tag;
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  scalar_t sc = { .kind = SC_STR };
  if (tag && (is_core_tag(tag, "null") || is_core_tag(tag, "bool") || is_core_tag(tag, "int") ||
              is_core_tag(tag, "float"))) {
    /* An explicit core tag: the text must read as that type (!!int "5" is 5). */
    resolve_plain(s, n, &sc);
    const char *want = tag + strlen("tag:yaml.org,2002:");
    bool match = (sc.kind == SC_NULL && strcmp(want, "null") == 0) ||
                 (sc.kind == SC_BOOL && strcmp(want, "bool") == 0) ||
                 (sc.kind == SC_INT && strcmp(want, "int") == 0) ||
                 ((sc.kind == SC_FLOAT || sc.kind == SC_NONFINITE) && strcmp(want, "float") == 0);
    if (sc.kind == SC_INT && strcmp(want, "float") == 0) {
      sc.kind = SC_FLOAT;
      sc.d = (double)sc.i;
      match = true;
    }
    if (!match) return fail_at(d, ev->start_mark, "cannot read \"%.*s\" as !!%s", (int)(n > 64 ? 64 : n), s, want);
  } else if (plain && !tag) {
    resolve_plain(s, n, &sc);
    /* A plain key is taken as written: kubectl would turn `y:` (a YAML 1.1 bool) into
     * "true" and `0x10:` into "16", which nobody means by a key. */
    if (key_expected(d) && sc.kind != SC_MERGE) sc.kind = SC_STR;
  }
  if (sc.kind == SC_NONFINITE)
    return fail_at(d, ev->start_mark, "%.*s cannot be represented in JSON", (int)(n > 16 ? 16 : n), s);
  bool merge_key = sc.kind == SC_MERGE && key_expected(d);
  if (sc.kind == SC_MERGE) sc.kind = SC_STR;
  json_t *node = scalar_json(&sc, s, n);
  if (!node) return fail_at(d, ev->start_mark, "string is not valid UTF-8");
  const yaml_char_t *anchor = ev->data.scalar.anchor;
  return add_node(d, node, 1, 0, anchor ? ack_strdup((const char *)anchor) : NULL, merge_key, ev->start_mark);
}

static bool on_alias(decoder_t *d, const yaml_event_t *ev) {
  const char *name = (const char *)ev->data.alias.anchor;
  for (int i = 0; i < d->depth; i++)
    if (d->stack[i].anchor && strcmp(d->stack[i].anchor, name) == 0)
      return fail_at(d, ev->start_mark, "alias *%s refers to a node that contains it", name);
  json_t *entry = json_object_get(d->anchors, name);
  if (!entry) return fail_at(d, ev->start_mark, "unknown alias *%s", name);
  size_t nodes = (size_t)json_integer_value(json_array_get(entry, 1));
  int height = (int)json_integer_value(json_array_get(entry, 2));
  if (nodes > YAML_CODEC_MAX_ALIAS_NODES - d->alias_nodes)
    return fail_at(d, ev->start_mark, "aliases expand to more than %d nodes", YAML_CODEC_MAX_ALIAS_NODES);
  if (d->depth + height > YAML_CODEC_MAX_DEPTH)
    return fail_at(d, ev->start_mark, "nested deeper than %d levels", YAML_CODEC_MAX_DEPTH);
  d->alias_nodes += nodes;
  /* A copy, not a shared reference: callers may edit the tree. The cap bounds the cost. */
  json_t *copy = json_deep_copy(json_array_get(entry, 0));
  if (!copy) return fail_at(d, ev->start_mark, "out of memory");
  return add_node(d, copy, nodes, height, NULL, false, ev->start_mark);
}

static void parser_error(const yaml_parser_t *p, char *err, size_t errlen) {
  const char *problem = p->problem ? p->problem : "invalid YAML";
  switch (p->error) {
  case YAML_MEMORY_ERROR: snprintf(err, errlen, "out of memory"); break;
  case YAML_READER_ERROR:
    snprintf(err, errlen, "byte %zu: %s", p->problem_offset, problem);
    break;
  default:
    if (p->context)
      snprintf(err, errlen, "line %zu, column %zu: %s (%s at line %zu, column %zu)", p->problem_mark.line + 1,
               p->problem_mark.column + 1, problem, p->context, p->context_mark.line + 1,
               p->context_mark.column + 1);
    else
      snprintf(err, errlen, "line %zu, column %zu: %s", p->problem_mark.line + 1, p->problem_mark.column + 1,
               problem);
    break;
  }
}

json_t *yaml_decode(const char *text, size_t len, bool all_docs, char *err, size_t errlen) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
  decoder_t *d = ack_xcalloc(1, sizeof *d);
  d->anchors = json_object();
  d->err = err;
  d->errlen = errlen;
  json_t *docs = json_array(), *result = NULL;
  bool ok = true, done = false;
  while (ok && !done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      parser_error(&p, err, errlen);
      ok = false;
      break;
    }
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_DOCUMENT_START_EVENT: json_object_clear(d->anchors); break;
    case YAML_DOCUMENT_END_EVENT:
      /* Empty documents (a stray `---`, comments only) are skipped, as kubectl does. */
      if (d->root && !json_is_null(d->root)) {
        json_array_append_new(docs, d->root);
        if (!all_docs) done = true;
      } else {
        json_decref(d->root);
      }
      d->root = NULL;
      break;
    case YAML_SEQUENCE_START_EVENT:
      ok = open_node(d, json_array(), ev.data.sequence_start.anchor, ev.start_mark);
      break;
    case YAML_MAPPING_START_EVENT:
      ok = open_node(d, json_object(), ev.data.mapping_start.anchor, ev.start_mark);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: ok = close_node(d, ev.start_mark); break;
    case YAML_SCALAR_EVENT: ok = on_scalar(d, &ev); break;
    case YAML_ALIAS_EVENT: ok = on_alias(d, &ev); break;
    default: break;
    }
    yaml_event_delete(&ev);
  }
  if (ok) {
    if (all_docs) result = json_incref(docs);
    else result = json_array_size(docs) ? json_incref(json_array_get(docs, 0)) : json_null();
  }
  while (d->depth > 0) frame_clear(&d->stack[--d->depth]);
  json_decref(d->root);
  json_decref(d->anchors);
  json_decref(docs);
  free(d);
  yaml_parser_delete(&p);
  return result;
}

/* ---- encoding ----------------------------------------------------------------------- */

typedef struct obuf {
  char *data;
  size_t len, cap;
} obuf_t;

static int write_out(void *ud, unsigned char *buf, size_t size) {
  obuf_t *o = ud;
  if (o->len + size + 1 > o->cap) {
    size_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + size + 1) cap *= 2;
    char *p = realloc(o->data, cap);
    if (!p) return 0;
    o->data = p;
    o->cap = cap;
  }
  memcpy(o->data + o->len, buf, size);
  o->len += size;
  o->data[o->len] = '\0';
  return 1;
}

typedef struct encoder {
  yaml_emitter_t em;
  char *err;
  size_t errlen;
} encoder_t;

static bool emit(encoder_t *e, yaml_event_t *ev) {
  if (yaml_emitter_emit(&e->em, ev)) return true;
  snprintf(e->err, e->errlen, "%s", e->em.problem ? e->em.problem : "out of memory");
  return false;
}

static bool emit_scalar(encoder_t *e, const char *s, size_t n, yaml_scalar_style_t style) {
  if (n > INT_MAX) {
    snprintf(e->err, e->errlen, "string of %zu bytes is too long", n);
    return false;
  }
  yaml_event_t ev;
  yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s, (int)n, 1, 1, style);
  return emit(e, &ev);
}

/* kubectl's choice (go-yaml v2 stringv): multi-line text as a | block, strings a reader
 * would take for a number, bool or null double-quoted, the rest plain, where libyaml
 * falls back to quotes itself when plain cannot hold the text (": ", " #", leading "-"). */
static bool emit_string(encoder_t *e, const char *s, size_t n) {
  yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
  bool odd_break = memchr(s, '\r', n) || memmem(s, n, "\xc2\x85", 2) || memmem(s, n, "\xe2\x80\xa8", 3) ||
                   memmem(s, n, "\xe2\x80\xa9", 3);
  if (odd_break) style = YAML_DOUBLE_QUOTED_SCALAR_STYLE; /* a block would normalise these breaks */
  else if (memchr(s, '\n', n)) style = YAML_LITERAL_SCALAR_STYLE;
  else if (needs_quotes(s, n)) style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  return emit_scalar(e, s, n, style);
}

typedef struct yaml_key {
  const char *s;
  size_t n;
  const json_t *v;
} yaml_key_t;

static int key_cmp(const void *a, const void *b) {
  const yaml_key_t *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

static bool emit_value(encoder_t *e, const json_t *v, int depth) {
  yaml_event_t ev;
  char buf[64];
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    if (depth >= YAML_CODEC_MAX_DEPTH) break;
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    if (!emit(e, &ev)) return false;
    /* Keys in byte order, as kubectl prints a decoded object: tables from Lua have no order
     * of their own, and sorted output is stable and diffable. */
    size_t n = json_object_size(v), i = 0;
    yaml_key_t *keys = ack_xmalloc((n ? n : 1) * sizeof *keys);
    const char *k;
    size_t klen;
    json_t *item;
    json_object_keylen_foreach((json_t *)v, k, klen, item) keys[i++] = (yaml_key_t){ k, klen, item };
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++) {
      if (!emit_string(e, keys[i].s, keys[i].n) || !emit_value(e, keys[i].v, depth + 1)) {
        free(keys);
        return false;
      }
    }
    free(keys);
    yaml_mapping_end_event_initialize(&ev);
    return emit(e, &ev);
  }
  case JSON_ARRAY: {
    if (depth >= YAML_CODEC_MAX_DEPTH) break;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    if (!emit(e, &ev)) return false;
    for (size_t i = 0; i < json_array_size(v); i++)
      if (!emit_value(e, json_array_get(v, i), depth + 1)) return false;
    yaml_sequence_end_event_initialize(&ev);
    return emit(e, &ev);
  }
  case JSON_STRING: return emit_string(e, json_string_value(v), json_string_length(v));
  case JSON_INTEGER:
    snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
  case JSON_REAL: {
    /* Shortest text that reads back the same, always with a '.' or exponent so it stays a
     * float through a round trip (1.0, not 1). */
    shortest_double(json_real_value(v), buf, sizeof buf);
    if (!strpbrk(buf, ".eE")) strcat(buf, ".0");
    return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
  }
  case JSON_TRUE: return emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
  case JSON_FALSE: return emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
  case JSON_NULL: return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
  }
  snprintf(e->err, e->errlen, "nested deeper than %d levels", YAML_CODEC_MAX_DEPTH);
  return false;
}

char *yaml_encode(const json_t *v, char *err, size_t errlen) {
  encoder_t e = { .err = err, .errlen = errlen };
  obuf_t out = { 0 };
  if (!v) {
    snprintf(err, errlen, "no value");
    return NULL;
  }
  if (!yaml_emitter_initialize(&e.em)) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  yaml_emitter_set_output(&e.em, write_out, &out);
  yaml_emitter_set_unicode(&e.em, 1);
  yaml_emitter_set_indent(&e.em, 2);
  yaml_emitter_set_width(&e.em, -1); /* no folding of long lines: one value, one line */
  yaml_emitter_set_break(&e.em, YAML_LN_BREAK);
  yaml_event_t ev;
  bool ok;
  yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
  ok = emit(&e, &ev);
  if (ok) {
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = emit(&e, &ev);
  }
  ok = ok && emit_value(&e, v, 0);
  if (ok) {
    yaml_document_end_event_initialize(&ev, 1);
    ok = emit(&e, &ev);
  }
  if (ok) {
    yaml_stream_end_event_initialize(&ev);
    ok = emit(&e, &ev);
  }
  if (ok) ok = yaml_emitter_flush(&e.em) != 0;
  yaml_emitter_delete(&e.em);
  if (!ok || !out.data) {
    if (ok) snprintf(err, errlen, "out of memory");
    free(out.data);
    return NULL;
  }
  /* libyaml closes a bare top-level scalar with "..." (document end); nothing needs it. */
  if (out.len >= 4 && strcmp(out.data + out.len - 4, "...\n") == 0 &&
      (out.len == 4 || out.data[out.len - 5] == '\n'))
    out.data[out.len - 4] = '\0';
  return out.data;
}
