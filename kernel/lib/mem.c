/*
 * memcpy/memset/memmove/memcmp/strlen for the freestanding UEFI build only (see d0/lib.h):
 * clang emits calls to these for struct copies and zeroing. Host builds use the C library's.
 *
 * Plain byte loops: D0 copies little data at boot, and -ffreestanding keeps clang from turning
 * these loops back into calls to themselves.
 */
#include "d0/lib.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  for (size_t i = 0; i < n; i++)
    d[i] = s[i];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  for (size_t i = 0; i < n; i++)
    d[i] = (uint8_t)c;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d < s) {
    for (size_t i = 0; i < n; i++)
      d[i] = s[i];
  } else if (d > s) {
    for (size_t i = n; i > 0; i--)
      d[i - 1] = s[i - 1];
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i])
      return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0')
    n++;
  return n;
}
