/* test.h: a minimal unit-test harness. Each file lists TEST(name) cases in a table and
 * calls test_main; a failed CHECK reports file:line and marks the case failed. */
#ifndef ACK_TEST_H
#define ACK_TEST_H

#include <stdio.h>
#include <string.h>

typedef struct test_case {
  const char *name;
  void (*fn)(void);
} test_case_t;

static int test__failed;

#define TEST(name) static void name(void)
#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
      test__failed = 1;                                                             \
      return;                                                                       \
    }                                                                               \
  } while (0)
#define CHECK_STR(a, b)                                                             \
  do {                                                                              \
    const char *a_ = (a), *b_ = (b);                                                \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                        \
      fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,   \
              b_ ? b_ : "(null)", a_ ? a_ : "(null)");                              \
      test__failed = 1;                                                             \
      return;                                                                       \
    }                                                                               \
  } while (0)
#define CHECK_CONTAINS(hay, needle)                                                 \
  do {                                                                              \
    const char *h_ = (hay), *n_ = (needle);                                         \
    if (!h_ || !strstr(h_, n_)) {                                                   \
      fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
              h_ ? h_ : "(null)", n_);                                              \
      test__failed = 1;                                                             \
      return;                                                                       \
    }                                                                               \
  } while (0)

static inline int test_main(const test_case_t *cases, size_t n) {
  int failures = 0;
  for (size_t i = 0; i < n; i++) {
    test__failed = 0;
    cases[i].fn();
    printf("%s %s\n", test__failed ? "FAIL" : "ok  ", cases[i].name);
    failures += test__failed;
  }
  printf("%zu passed, %d failed\n", n - (size_t)failures, failures);
  return failures ? 1 : 0;
}

#define RUN_TESTS(...)                                                              \
  int main(void) {                                                                  \
    static const test_case_t cases_[] = { __VA_ARGS__ };                            \
    return test_main(cases_, sizeof cases_ / sizeof cases_[0]);                     \
  }
#define T(name) { #name, name }

#endif
