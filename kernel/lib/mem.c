/*
 * memcpy/memset/memmove/memcmp/strlen for the freestanding UEFI build only (see d0/lib.h):
 * clang emits calls to these for struct copies and zeroing. Host builds use the C library's.
 *
 * memset and memcpy are `rep stosb` / `rep movsb`: D0 zeroes every VM's RAM before its launch
 * (hundreds of MiB), which a byte loop does at about one byte per cycle and the string
 * instructions at cache-line speed on CPUs with ERMS (every VT-x/AMD-V CPU D0 runs on has fast
 * string operations). The UEFI calling convention
 * guarantees DF = 0 on entry, so both go forward. The rest are plain loops (little data), and
 * -ffreestanding -fno-builtin keeps clang from turning them back into calls to themselves.
 */
#include "d0/lib.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  void *d = dst;
  const void *s = src;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
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
