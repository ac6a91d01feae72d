/*
 * memcpy/memset/memmove/memcmp/strlen for the freestanding UEFI build only (see d0/lib.h):
 * clang emits calls to these for struct copies and zeroing. Host builds use the C library's.
 *
 * memset and memcpy are `rep stosq` / `rep movsq` for the 8-byte words, then `rep stosb` /
 * `rep movsb` for the 0-7 bytes left: D0 zeroes every VM's RAM before its launch (hundreds of
 * MiB) and copies every frame between a VM and the uplink, which a byte loop does at about one
 * byte per cycle and the string instructions at cache-line speed (fast string operations, which
 * every VT-x/AMD-V CPU D0 runs on has, cover MOVSQ/STOSQ as MOVSB/STOSB). Words, not bytes,
 * because an emulated CPU (QEMU's TCG, where the tests run) executes a REP string instruction
 * one element at a time: eight times fewer iterations (bench/net/README.md). The UEFI calling
 * convention guarantees DF = 0 on entry, so both go forward. The rest are plain loops (little data), and
 * -ffreestanding -fno-builtin keeps clang from turning them back into calls to themselves.
 */
#include "d0/lib.h"

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  void *d = dst;
  const void *s = src;
  size_t words = n / 8, tail = n % 8;
  __asm__ volatile("rep movsq\n\t"
                   "mov %3, %%rcx\n\t"
                   "rep movsb"
                   : "+D"(d), "+S"(s), "+c"(words)
                   : "r"(tail)
                   : "memory");
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  void *d = dst;
  size_t words = n / 8, tail = n % 8;
  uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
  __asm__ volatile("rep stosq\n\t"
                   "mov %2, %%rcx\n\t"
                   "rep stosb"
                   : "+D"(d), "+c"(words)
                   : "r"(tail), "a"(pattern)
                   : "memory");
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
