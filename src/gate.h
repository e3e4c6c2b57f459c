/* gate.h: the one write gate. Every bridge (HTTP, Kubernetes, cloud) asks it before a
 * request that could change cluster or cloud state, so a tool script cannot get around
 * read-only mode however it builds its request. Tools that declare themselves writes are
 * also hidden by the registry; this is the check below that. */
#ifndef ACK_GATE_H
#define ACK_GATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gate {
  bool allow_write;
} gate_t;

/* Whether an HTTP method can change state (anything but GET, HEAD, OPTIONS). NULL counts
 * as mutating: unknown means no. */
bool gate_http_mutates(const char *method);
/* Returns 0 when the operation may run, or ACK_EPERM with a message naming what (e.g.
 * "DELETE /api/v1/namespaces/x/pods/y") and how to allow it. */
int gate_check(const gate_t *g, bool mutates, const char *what, char *err, size_t errlen);
/* Cloud API calls that start a server-side job changing nothing in the cluster (ack-api.md
 * class J: CS CreateClusterDiagnosis, RunClusterInspect). Read-only mode allows them on
 * purpose, so this explicit list is the whole exception. The method and the path (raw, no
 * query) must be the job's own route too: a request cannot borrow a job's name for a write. */
bool gate_action_is_job(const char *product, const char *action, const char *method, const char *path);

#endif
