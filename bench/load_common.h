/* load_common.h: what both load generators share: a small JSON scanner that checks an
 * answer's top-level keys without a JSON library, and percentiles. Header-only: each
 * generator is one translation unit compiled by its run script. */
#ifndef ACK_BENCH_LOAD_COMMON_H
#define ACK_BENCH_LOAD_COMMON_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  bool has_id, id_numeric, has_result, has_error, has_method;
  long long id;
} top_t;

static void skip_ws(const char *s, size_t n, size_t *i) {
  while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')) (*i)++;
}

static bool skip_string(const char *s, size_t n, size_t *i) {
  if (*i >= n || s[*i] != '"') return false;
  for ((*i)++; *i < n; (*i)++) {
    if (s[*i] == '\\') (*i)++;
    else if (s[*i] == '"') {
      (*i)++;
      return true;
    }
  }
  return false;
}

static bool skip_value(const char *s, size_t n, size_t *i) {
  skip_ws(s, n, i);
  if (*i >= n) return false;
  if (s[*i] == '"') return skip_string(s, n, i);
  if (s[*i] == '{' || s[*i] == '[') {
    int depth = 0;
    while (*i < n) {
      char c = s[*i];
      if (c == '"') {
        if (!skip_string(s, n, i)) return false;
        continue;
      }
      if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') {
        if (--depth == 0) {
          (*i)++;
          return true;
        }
      }
      (*i)++;
    }
    return false;
  }
  size_t start = *i; /* number, true, false, null */
  while (*i < n && s[*i] != ',' && s[*i] != '}' && s[*i] != ']' && s[*i] != ' ') (*i)++;
  return *i > start;
}

/* Reads the top-level keys of one JSON object; false if it is not one. */
static bool scan_top(const char *s, size_t n, top_t *t) {
  memset(t, 0, sizeof *t);
  size_t i = 0;
  skip_ws(s, n, &i);
  if (i >= n || s[i] != '{') return false;
  i++;
  for (;;) {
    skip_ws(s, n, &i);
    if (i < n && s[i] == '}') {
      i++;
      skip_ws(s, n, &i);
      return i == n;
    }
    size_t k0 = i;
    if (!skip_string(s, n, &i)) return false;
    const char *key = s + k0 + 1;
    size_t klen = i - k0 - 2;
    skip_ws(s, n, &i);
    if (i >= n || s[i] != ':') return false;
    i++;
    skip_ws(s, n, &i);
    size_t v0 = i;
    if (!skip_value(s, n, &i)) return false;
#define KEY(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)
    if (KEY("id")) {
      t->has_id = true;
      if (s[v0] == '-' || (s[v0] >= '0' && s[v0] <= '9')) {
        char num[32];
        size_t m = i - v0 < sizeof num - 1 ? i - v0 : sizeof num - 1;
        memcpy(num, s + v0, m);
        num[m] = '\0';
        char *end;
        t->id = strtoll(num, &end, 10);
        t->id_numeric = *end == '\0';
      }
    } else if (KEY("result")) t->has_result = true;
    else if (KEY("error")) t->has_error = true;
    else if (KEY("method")) t->has_method = true;
#undef KEY
    skip_ws(s, n, &i);
    if (i < n && s[i] == ',') {
      i++;
      continue;
    }
    if (i < n && s[i] == '}') continue;
    return false;
  }
}

static bool has_is_error_true(const char *s, size_t n) {
  static const char key[] = "\"isError\"";
  const char *p = s, *end = s + n;
  while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
    size_t i = (size_t)(p - s) + sizeof key - 1;
    skip_ws(s, n, &i);
    if (i < n && s[i] == ':') {
      i++;
      skip_ws(s, n, &i);
      if (n - i >= 4 && memcmp(s + i, "true", 4) == 0) return true;
    }
    p += sizeof key - 1;
  }
  return false;
}

/* Pins this process (and what it spawns afterwards) to one CPU, or exits 126. */
static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) {
    fprintf(stderr, "pin to CPU %d: %s\n", cpu, strerror(errno));
    _exit(126);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif
