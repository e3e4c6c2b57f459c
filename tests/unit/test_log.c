/* test_log.c: secret masking, including the rotation that keeps the settings' secrets. */
#include "log.h"
#include "test.h"

#include <stdio.h>

TEST(log_masks_registered_secrets) {
  log_add_secret("s3cr3t-value");
  char buf[] = "token=s3cr3t-value and again s3cr3t-value";
  log_scrub(buf);
  CHECK(strstr(buf, "s3cr3t") == NULL);
  CHECK(strstr(buf, "token=") != NULL);
}

TEST(log_rotating_secrets_never_push_out_the_first_ones) {
  log_add_secret("pinned-setting-secret");
  char s[64];
  for (int i = 0; i < 1000; i++) { /* a token file rotating a thousand times */
    snprintf(s, sizeof s, "rotating-token-%04d", i);
    log_add_secret(s);
  }
  char buf[] = "pinned-setting-secret rotating-token-0999";
  log_scrub(buf);
  CHECK(strstr(buf, "pinned") == NULL);
  CHECK(strstr(buf, "rotating-token-0999") == NULL);
}

RUN_TESTS(T(log_masks_registered_secrets), T(log_rotating_secrets_never_push_out_the_first_ones))
