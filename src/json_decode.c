/* json_decode.c: JSON text straight to Lua values, for json.decode. Going through a jansson
 * tree first cost a node and a hash table per value, then a copy into Lua: 120 ms for an
 * 850 KB Table page of 300 pods, most of a k8s_list call. This parser builds the Lua values
 * as it reads (one pass, no intermediate tree) with the same results: null is json.null,
 * arrays carry the array marker, integers stay integers, strings must be valid UTF-8, and
 * nesting is capped at LJSON_MAX_DEPTH. */
#include "lua_bind_json.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  lua_State *L;
  const char *s, *p, *end;
  char *err;
  size_t errlen;
} parser_t;

static bool fail(parser_t *ps, const char *at, const char *msg) {
  int line = 1, col = 1;
  for (const char *q = ps->s; q < at && q < ps->end; q++) {
    if (*q == '\n') line++, col = 1;
    else col++;
  }
  snprintf(ps->err, ps->errlen, "invalid JSON at line %d column %d: %s", line, col, msg);
  return false;
}

static void skip_ws(parser_t *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned char c = p[0];
  size_t n;
  unsigned int min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) n = 2, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, min = 0x10000;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  unsigned int cp = c & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

static int hex4(const char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static void add_utf8(luaL_Buffer *b, unsigned int cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  luaL_addlstring(b, u, n);
}

/* At the opening quote; pushes the string. */
static bool parse_string(parser_t *ps) {
  const char *start = ++ps->p;
  const unsigned char *q = (const unsigned char *)start, *end = (const unsigned char *)ps->end;
  /* Fast path: no escapes. */
  while (q < end && *q != '"' && *q != '\\') {
    if (*q < 0x20) return fail(ps, (const char *)q, "control character in a string");
    if (*q < 0x80) {
      q++;
      continue;
    }
    size_t n = utf8_len(q, end);
    if (!n) return fail(ps, (const char *)q, "invalid UTF-8 in a string");
    q += n;
  }
  if (q >= end) return fail(ps, start - 1, "unterminated string");
  if (*q == '"') {
    lua_pushlstring(ps->L, start, (size_t)((const char *)q - start));
    ps->p = (const char *)q + 1;
    return true;
  }
  luaL_Buffer b;
  luaL_buffinit(ps->L, &b);
  luaL_addlstring(&b, start, (size_t)((const char *)q - start));
  while (q < end && *q != '"') {
    if (*q == '\\') {
      if (end - q < 2) break;
      char e = (char)q[1];
      q += 2;
      switch (e) {
      case '"': luaL_addchar(&b, '"'); break;
      case '\\': luaL_addchar(&b, '\\'); break;
      case '/': luaL_addchar(&b, '/'); break;
      case 'b': luaL_addchar(&b, '\b'); break;
      case 'f': luaL_addchar(&b, '\f'); break;
      case 'n': luaL_addchar(&b, '\n'); break;
      case 'r': luaL_addchar(&b, '\r'); break;
      case 't': luaL_addchar(&b, '\t'); break;
      case 'u': {
        int hi = end - q >= 4 ? hex4((const char *)q) : -1;
        if (hi < 0) return fail(ps, (const char *)q - 2, "invalid \\u escape");
        q += 4;
        unsigned int cp = (unsigned int)hi;
        if (hi >= 0xD800 && hi <= 0xDBFF) {
          int lo = end - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4((const char *)q + 2) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) return fail(ps, (const char *)q - 6, "invalid Unicode surrogate pair");
          cp = 0x10000 + (((unsigned int)hi - 0xD800) << 10) + ((unsigned int)lo - 0xDC00);
          q += 6;
        } else if (hi >= 0xDC00 && hi <= 0xDFFF) {
          return fail(ps, (const char *)q - 6, "invalid Unicode surrogate pair");
        } else if (hi == 0) {
          /* kept: Lua strings hold NULs */
        }
        add_utf8(&b, cp);
        break;
      }
      default: return fail(ps, (const char *)q - 2, "invalid escape");
      }
      continue;
    }
    if (*q < 0x20) return fail(ps, (const char *)q, "control character in a string");
    size_t n = *q < 0x80 ? 1 : utf8_len(q, end);
    if (!n) return fail(ps, (const char *)q, "invalid UTF-8 in a string");
    luaL_addlstring(&b, (const char *)q, n);
    q += n;
  }
  if (q >= end) return fail(ps, start - 1, "unterminated string");
  luaL_pushresult(&b);
  ps->p = (const char *)q + 1;
  return true;
}

static bool parse_number(parser_t *ps) {
  const char *q = ps->p, *start = q;
  bool real = false;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, start, "invalid number");
  if (*q == '0') q++;
  else
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  if (q < ps->end && *q == '.') {
    real = true;
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, start, "invalid number");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    real = true;
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, start, "invalid number");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  char buf[64];
  size_t n = (size_t)(q - start);
  if (n >= sizeof buf) return fail(ps, start, "number too long");
  memcpy(buf, start, n);
  buf[n] = '\0';
  if (!real) {
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (errno == 0) {
      lua_pushinteger(ps->L, (lua_Integer)v);
      ps->p = q;
      return true;
    }
  }
  lua_pushnumber(ps->L, strtod(buf, NULL)); /* beyond 64 bits: a float, as Lua reads it */
  ps->p = q;
  return true;
}

static bool literal(parser_t *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, ps->p, "invalid literal");
  ps->p += n;
  return true;
}

static bool parse_value(parser_t *ps, int depth) {
  lua_State *L = ps->L;
  skip_ws(ps);
  if (ps->p >= ps->end) return fail(ps, ps->p, "unexpected end of input");
  switch (*ps->p) {
  case '{': {
    if (depth >= LJSON_MAX_DEPTH) return fail(ps, ps->p, "nested deeper than " LJSON_MAX_DEPTH_TEXT " levels");
    luaL_checkstack(L, 4, "json");
    ps->p++;
    lua_newtable(L);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
      ps->p++;
      return true;
    }
    for (;;) {
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"') return fail(ps, ps->p, "expected a string key");
      if (!parse_string(ps)) return false;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') return fail(ps, ps->p, "expected ':'");
      ps->p++;
      if (!parse_value(ps, depth + 1)) return false;
      lua_rawset(L, -3);
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return true;
      }
      return fail(ps, ps->p, "expected ',' or '}'");
    }
  }
  case '[': {
    if (depth >= LJSON_MAX_DEPTH) return fail(ps, ps->p, "nested deeper than " LJSON_MAX_DEPTH_TEXT " levels");
    luaL_checkstack(L, 4, "json");
    ps->p++;
    ljson_new_array(L);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
      ps->p++;
      return true;
    }
    for (lua_Integer i = 1;; i++) {
      if (!parse_value(ps, depth + 1)) return false;
      lua_rawseti(L, -2, i);
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        continue;
      }
      if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return true;
      }
      return fail(ps, ps->p, "expected ',' or ']'");
    }
  }
  case '"': return parse_string(ps);
  case 't': return literal(ps, "true", 4) && (lua_pushboolean(L, 1), true);
  case 'f': return literal(ps, "false", 5) && (lua_pushboolean(L, 0), true);
  case 'n': return literal(ps, "null", 4) && (lua_pushlightuserdata(L, NULL), true);
  default: return parse_number(ps);
  }
}

int ljson_decode(lua_State *L, const char *s, size_t n, char *err, size_t errlen) {
  parser_t ps = { .L = L, .s = s, .p = s, .end = s + n, .err = err, .errlen = errlen };
  int top = lua_gettop(L);
  if (!parse_value(&ps, 0)) {
    lua_settop(L, top);
    return -1;
  }
  skip_ws(&ps);
  if (ps.p != ps.end) {
    lua_settop(L, top);
    fail(&ps, ps.p, "end of file expected");
    return -1;
  }
  return 0;
}
