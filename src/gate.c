/* gate.c: read-only enforcement below the scripts. */
#include "gate.h"

#include "ack.h"

#include <stdio.h>
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
