/* gate.c: read-only enforcement below the scripts. */
#include "gate.h"

#include "ack.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool gate_http_mutates(const char *method) {
  static const char *const safe[] = { "GET", "HEAD", "OPTIONS" };
  if (!method) return true;
  for (size_t i = 0; i < ACK_ARRAY_LEN(safe); i++)
    if (strcasecmp(method, safe[i]) == 0) return false;
  return true;
}

int gate_check(const gate_t *g, bool mutates, const char *what, char *err, size_t errlen) {
  if (!mutates || g->allow_write) return 0;
  snprintf(err, errlen, "refused: %s would change state and the server is read-only (start it with --allow-write)",
           what ? what : "this request");
  return ACK_EPERM;
}

/* The J class of ack-api.md: product, action, method, route ('*' = one path segment). */
static const struct {
  const char *product, *action, *method, *route;
} jobs[] = {
  { "cs", "CreateClusterDiagnosis", "POST", "/clusters/*/diagnosis" },
  { "cs", "RunClusterInspect", "POST", "/clusters/*/inspectReports" },
};

static bool route_matches(const char *route, const char *path) {
  while (*route && *path) {
    if (*route == '*') {
      if (*path == '/') return false; /* a segment is never empty */
      while (*path && *path != '/') path++;
      route++;
    } else if (*route++ != *path++) {
      return false;
    }
  }
  return !*route && !*path;
}

bool gate_action_is_job(const char *product, const char *action, const char *method, const char *path) {
  if (!product || !action || !method || !path) return false;
  for (size_t i = 0; i < ACK_ARRAY_LEN(jobs); i++)
    if (strcmp(jobs[i].product, product) == 0 && strcmp(jobs[i].action, action) == 0 &&
        strcasecmp(jobs[i].method, method) == 0 && route_matches(jobs[i].route, path))
      return true;
  return false;
}
