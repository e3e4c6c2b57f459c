/* test_http_security.c: Origin, Host and bearer checks. */
#include "http_security.h"
#include "test.h"

TEST(http_security_loopback_origins_by_default) {
  CHECK(http_origin_allowed(NULL, NULL));
  CHECK(http_origin_allowed("http://localhost:6274", NULL));
  CHECK(http_origin_allowed("http://127.0.0.1", NULL));
  CHECK(http_origin_allowed("https://[::1]:8443", NULL));
  CHECK(!http_origin_allowed("http://evil.example", NULL));
  CHECK(!http_origin_allowed("http://localhost.evil.example:80", NULL));
  CHECK(!http_origin_allowed("http://localhost:80x", NULL));
  CHECK(!http_origin_allowed("null", NULL));
}

TEST(http_security_allow_list_with_port_wildcards) {
  const char *list = "https://console.example.com, http://localhost:*";
  CHECK(http_origin_allowed("https://console.example.com", list));
  CHECK(!http_origin_allowed("https://console.example.com:444", list));
  CHECK(http_origin_allowed("http://localhost:3000", list));
  CHECK(!http_origin_allowed("http://127.0.0.1:3000", list));
  CHECK(http_origin_allowed("http://anything", "*"));
}

TEST(http_security_host_check) {
  CHECK(http_host_is_loopback("localhost:8000"));
  CHECK(http_host_is_loopback("127.0.0.1"));
  CHECK(http_host_is_loopback("[::1]:8000"));
  CHECK(!http_host_is_loopback("evil.example:8000"));
  CHECK(!http_host_is_loopback("localhost.evil.example"));
  CHECK(!http_host_is_loopback(NULL));
  CHECK(http_bind_is_loopback("127.0.0.1") && !http_bind_is_loopback("0.0.0.0"));
}

TEST(http_security_bearer) {
  CHECK(http_bearer_ok("Bearer s3cret", "s3cret"));
  CHECK(http_bearer_ok("bearer s3cret", "s3cret"));
  CHECK(!http_bearer_ok("Bearer s3cre", "s3cret"));
  CHECK(!http_bearer_ok("Bearer s3crett", "s3cret"));
  CHECK(!http_bearer_ok("Basic s3cret", "s3cret"));
  CHECK(!http_bearer_ok(NULL, "s3cret"));
}

RUN_TESTS(T(http_security_loopback_origins_by_default), T(http_security_allow_list_with_port_wildcards),
          T(http_security_host_check), T(http_security_bearer))
