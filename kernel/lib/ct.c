/* Constant-time comparison (d0/lib.h). */
#include "d0/lib.h"

bool d0_ct_eq(const void *a, const void *b, size_t n) {
  const volatile uint8_t *x = a, *y = b;
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++)
    diff |= (uint8_t)(x[i] ^ y[i]);
  /* (diff - 1) >> 8 is 1 exactly when diff == 0, without a data-dependent branch. */
  return (bool)((((uint32_t)diff - 1u) >> 8) & 1u);
}
