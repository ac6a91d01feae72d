/*
 * A minimal check harness for the host-built kernel tests: CHECK records a failure with its
 * location and keeps going, so one run reports every broken case; check_exit() prints the
 * totals and returns the process exit code (0 only if every check passed).
 */
#ifndef D0_TESTS_CHECK_H
#define D0_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern unsigned check_count, check_failures;

#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    check_count++;                                                          \
    if (!(cond)) {                                                          \
      check_failures++;                                                     \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
    }                                                                       \
  } while (0)

/* Decodes hex (no separators) into out; returns the byte count, or (size_t)-1 on bad input or
 * if it does not fit in cap. */
size_t check_unhex(uint8_t *out, size_t cap, const char *hex);

/* Writes "<name>: <checks> checks, <failures> failed" and returns the exit code. */
int check_exit(const char *name);

#endif
