/*
 * The one check harness of the project's C host tests (kernel/tests, kernel/tests/hv,
 * kernel/tests/platform, kernel/arch/x86/tests, guest/init/tests). A failed check prints where
 * and what, and the run goes on, so one run reports every broken case; check_exit() prints
 * "<name>: <checks> checks, <failed> failed" (the line the mocha tests read) and gives the exit
 * status: 0 only when at least one check ran and none failed.
 *
 * Header only. The counters are weak definitions, so a test program of several files shares one
 * set without a .c file of the harness's own.
 */
#ifndef D0_TEST_SUPPORT_CHECK_H
#define D0_TEST_SUPPORT_CHECK_H

#include <stdio.h>
#include <string.h>

__attribute__((weak)) unsigned check_count, check_failures;
/* The group being run (RUN), named in failure lines; "" outside one. */
__attribute__((weak)) const char *check_current = "";

#define CHECK_FAILED_AT_(...)                                                               \
  do {                                                                                      \
    check_failures++;                                                                       \
    fprintf(stderr, "FAIL %s%s%s:%d: ", check_current, *check_current ? ": " : "", __FILE__, \
            __LINE__);                                                                      \
    fprintf(stderr, __VA_ARGS__);                                                           \
    fputc('\n', stderr);                                                                    \
  } while (0)

#define CHECK(cond)                                  \
  do {                                               \
    check_count++;                                   \
    if (!(cond))                                     \
      CHECK_FAILED_AT_("CHECK(%s) failed", #cond);   \
  } while (0)

/* CHECK with a printf-style explanation of what was expected. */
#define CHECK_MSG(cond, ...)                           \
  do {                                                 \
    check_count++;                                     \
    if (!(cond)) {                                     \
      CHECK_FAILED_AT_("CHECK(%s) failed", #cond);     \
      fprintf(stderr, "  ");                           \
      fprintf(stderr, __VA_ARGS__);                    \
      fputc('\n', stderr);                             \
    }                                                  \
  } while (0)

/* Integers (any width up to 64 bits), both values printed in hex on failure. */
#define CHECK_EQ(a, b)                                                                       \
  do {                                                                                       \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);           \
    check_count++;                                                                           \
    if (a_ != b_)                                                                            \
      CHECK_FAILED_AT_("%s == %s (0x%llx != 0x%llx)", #a, #b, a_, b_);                       \
  } while (0)

/* NUL-terminated strings: a equal to b (a may be NULL, which fails); hay containing needle. */
#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)
#define CHECK_CONTAINS(hay, needle) CHECK(strstr((hay), (needle)) != NULL)

/* Runs one group of checks, naming it in failure lines. */
#define RUN(fn)            \
  do {                     \
    check_current = #fn;   \
    fn();                  \
    check_current = "";    \
  } while (0)

static inline int check_exit(const char *name)
{
  printf("%s: %u checks, %u failed\n", name, check_count, check_failures);
  return check_failures == 0 && check_count > 0 ? 0 : 1;
}

#endif
