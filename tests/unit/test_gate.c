/* test_gate.c: the write gate that every bridge asks. */
#include "ack.h"
#include "gate.h"
#include "test.h"

TEST(gate_reads_always_pass) {
  gate_t g = { .allow_write = false };
  char err[200] = "";
  CHECK(!gate_http_mutates("GET") && !gate_http_mutates("head") && !gate_http_mutates("OPTIONS"));
  CHECK(gate_check(&g, gate_http_mutates("GET"), "GET /api/v1/pods", err, sizeof err) == 0);
}

TEST(gate_refuses_writes_when_read_only) {
  gate_t g = { .allow_write = false };
  char err[200] = "";
  const char *methods[] = { "POST", "PUT", "PATCH", "DELETE", "BREW", NULL };
  for (int i = 0; i < 6; i++) CHECK(gate_http_mutates(methods[i]));
  CHECK(gate_check(&g, true, "DELETE /api/v1/namespaces/a/pods/b", err, sizeof err) == ACK_EPERM);
  CHECK_CONTAINS(err, "DELETE /api/v1/namespaces/a/pods/b");
  CHECK_CONTAINS(err, "--allow-write");
}

TEST(gate_allows_writes_with_allow_write) {
  gate_t g = { .allow_write = true };
  char err[200] = "";
  CHECK(gate_check(&g, true, "POST x", err, sizeof err) == 0);
}

RUN_TESTS(T(gate_reads_always_pass), T(gate_refuses_writes_when_read_only), T(gate_allows_writes_with_allow_write))
