/* Hex test vectors into bytes, for the host tests of kernel/crypto and kernel/manifest. */
#ifndef D0_TESTS_UNHEX_H
#define D0_TESTS_UNHEX_H

#include <stddef.h>
#include <stdint.h>

/* Decodes hex (no separators) into out; returns the byte count, or (size_t)-1 on bad input or
 * if it does not fit in cap. */
size_t unhex(uint8_t *out, size_t cap, const char *hex);

#endif
