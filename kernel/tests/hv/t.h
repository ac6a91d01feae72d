/* A minimal test harness for the hypervisor core's host tests. */
#ifndef HV_TESTS_T_H
#define HV_TESTS_T_H

#include <stdio.h>

extern int t_passed, t_failed;
extern const char *t_current;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (cond) {                                                                     \
      t_passed++;                                                                   \
    } else {                                                                        \
      t_failed++;                                                                   \
      fprintf(stderr, "FAIL %s: %s:%d: %s\n", t_current, __FILE__, __LINE__, #cond); \
    }                                                                               \
  } while (0)

#define CHECK_EQ(a, b)                                                                   \
  do {                                                                                   \
    unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);       \
    if (a_ == b_) {                                                                      \
      t_passed++;                                                                        \
    } else {                                                                             \
      t_failed++;                                                                        \
      fprintf(stderr, "FAIL %s: %s:%d: %s == %s (0x%llx != 0x%llx)\n", t_current, __FILE__, \
              __LINE__, #a, #b, a_, b_);                                                 \
    }                                                                                    \
  } while (0)

#define RUN(fn)            \
  do {                     \
    t_current = #fn;       \
    fn();                  \
  } while (0)

#endif
