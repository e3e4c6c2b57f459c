/* http_security.c: Origin, Host and bearer-token checks. */
#include "http_security.h"

#include <string.h>
#include <strings.h>

static const char *const loopback_origins = "http://localhost:*,https://localhost:*,http://127.0.0.1:*,https://127.0.0.1:*,"
                                            "http://[::1]:*,https://[::1]:*,http://localhost,https://localhost,"
                                            "http://127.0.0.1,https://127.0.0.1,http://[::1],https://[::1]";

/* Does origin match one pattern of length n? */
static bool match_one(const char *origin, const char *pat, size_t n) {
  while (n && (*pat == ' ')) { pat++; n--; }
  while (n && pat[n - 1] == ' ') n--;
  if (n == 1 && *pat == '*') return true;
  if (n >= 2 && pat[n - 1] == '*' && pat[n - 2] == ':') {
    size_t base = n - 2;
    if (strncasecmp(origin, pat, base) != 0 || origin[base] != ':') return false;
    const char *port = origin + base + 1;
    if (!*port) return false;
    for (; *port; port++)
      if (*port < '0' || *port > '9') return false;
    return true;
  }
  return strlen(origin) == n && strncasecmp(origin, pat, n) == 0;
}

bool http_origin_allowed(const char *origin, const char *allowed) {
  if (!origin) return true;
  if (!allowed || !*allowed) allowed = loopback_origins;
  for (const char *p = allowed; *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (match_one(origin, p, n)) return true;
    if (!comma) break;
    p = comma + 1;
  }
  return false;
}

bool http_host_is_loopback(const char *host) {
  if (!host) return false;
  size_t n = strlen(host);
  const char *colon = host[0] == '[' ? strchr(host, ']') : strchr(host, ':');
  if (host[0] == '[') {
    if (!colon) return false;
    n = (size_t)(colon - host) + 1;
  } else if (colon) {
    n = (size_t)(colon - host);
  }
  static const char *const names[] = { "localhost", "127.0.0.1", "[::1]" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && strncasecmp(host, names[i], n) == 0) return true;
  return false;
}

bool http_bind_is_loopback(const char *bind) {
  return bind && (strcmp(bind, "127.0.0.1") == 0 || strcmp(bind, "localhost") == 0 || strcmp(bind, "::1") == 0 ||
                  strncmp(bind, "127.", 4) == 0);
}

bool http_bearer_ok(const char *header, const char *token) {
  if (!header || !token || strncasecmp(header, "Bearer ", 7) != 0) return false;
  const char *got = header + 7;
  size_t a = strlen(got), b = strlen(token);
  /* Compare every byte of the longer one so the time says nothing about the token. */
  unsigned char diff = (unsigned char)(a != b);
  size_t n = a > b ? a : b;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = i < a ? (unsigned char)got[i] : 0, y = i < b ? (unsigned char)token[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}
