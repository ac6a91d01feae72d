/*
 * D0's own memcpy and memset (kernel/lib/mem.c: REP MOVSQ/STOSQ for the words, then REP
 * MOVSB/STOSB for the tail), which only the UEFI build links: compiled here under other names
 * and checked byte by byte against a plain loop, for every length up to a few words past a page
 * and every start offset, with guard bytes on both sides left untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define memcpy d0_memcpy
#define memset d0_memset
#define memmove d0_memmove
#define memcmp d0_memcmp
#define strlen d0_strlen
#include "../lib/mem.c"
#undef memcpy
#undef memset
#undef memmove
#undef memcmp
#undef strlen

#define GUARD 16
#define MAX (4096 + 40)

static uint8_t src[MAX + 2 * GUARD], dst[MAX + 2 * GUARD], want[MAX + 2 * GUARD];

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
}

static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i])
      return 0;
  return 1;
}

static void check_len(size_t n, size_t doff, size_t soff)
{
  fill(src, sizeof src, (uint32_t)(n * 131 + doff * 7 + soff));
  fill(dst, sizeof dst, (uint32_t)n);
  for (size_t i = 0; i < sizeof dst; i++)
    want[i] = dst[i];
  for (size_t i = 0; i < n; i++)
    want[GUARD + doff + i] = src[GUARD + soff + i];
  void *r = d0_memcpy(dst + GUARD + doff, src + GUARD + soff, n);
  CHECK(r == dst + GUARD + doff);
  CHECK_MSG(same(dst, want, sizeof dst), "memcpy n=%zu dst+%zu src+%zu", n, doff, soff);

  int c = (int)(n * 37 + doff) - 300; /* negative and past 255 too: only the low byte counts */
  for (size_t i = 0; i < n; i++)
    want[GUARD + doff + i] = (uint8_t)c;
  r = d0_memset(dst + GUARD + doff, c, n);
  CHECK(r == dst + GUARD + doff);
  CHECK_MSG(same(dst, want, sizeof dst), "memset n=%zu dst+%zu c=%d", n, doff, c);
}

int main(void)
{
  for (size_t n = 0; n <= 80; n++)
    for (size_t doff = 0; doff < 8; doff++)
      for (size_t soff = 0; soff < 8; soff += 3)
        check_len(n, doff, soff);
  for (size_t n = 4096 - 9; n <= MAX - 8; n++)
    check_len(n, n % 8, (n / 8) % 8);
  return check_exit("mem");
}
