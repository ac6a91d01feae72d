/*
 * The few C library routines D0 relies on, plus a constant-time compare.
 *
 * memcpy/memset/memmove/memcmp/strlen are defined in kernel/lib/mem.c for the freestanding UEFI
 * build (clang emits calls to them even under -fno-builtin, e.g. for struct copies). Host builds
 * (tests, fuzzers, benches) do NOT compile mem.c: the C library provides them with the same
 * contracts, so these declarations stay compatible with <string.h>.
 *
 * Only <stdint.h>, <stddef.h> and <stdbool.h> are used anywhere in kernel/lib, kernel/crypto and
 * kernel/manifest.
 */
#ifndef D0_LIB_H
#define D0_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/*
 * true iff the n bytes at a and b are equal. The time taken depends only on n, never on the
 * contents (no early exit), so it is safe for comparing digests and MACs of secret data.
 */
bool d0_ct_eq(const void *a, const void *b, size_t n);

#define D0_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Propagates a negative error code: `TRY(expr);` returns it from the enclosing function. */
#define TRY(expr)                  \
  do {                             \
    int try_err_ = (expr);         \
    if (try_err_ < 0)              \
      return try_err_;             \
  } while (0)

#endif /* D0_LIB_H */
