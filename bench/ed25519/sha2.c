/*
 * Instructions per MiB of SHA-256 (disk-image digests) and SHA-512 (inside Ed25519): D0's
 * kernel/crypto vs libsodium on the same 1 MiB buffer; run.sh counts each function with
 * callgrind.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "d0/sha2.h"

static uint8_t buf[1 << 20];

__attribute__((noinline)) void d0_sha256(uint8_t out[32]) { sha256(buf, sizeof buf, out); }
__attribute__((noinline)) void sodium_sha256(uint8_t out[32]) {
  crypto_hash_sha256(out, buf, sizeof buf);
}
__attribute__((noinline)) void d0_sha512(uint8_t out[64]) { sha512(buf, sizeof buf, out); }
__attribute__((noinline)) void sodium_sha512(uint8_t out[64]) {
  crypto_hash_sha512(out, buf, sizeof buf);
}

int main(void) {
  if (sodium_init() < 0)
    return 2;
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 131 + (i >> 9));
  uint8_t a[64], b[64];
  d0_sha256(a);
  sodium_sha256(b);
  int same256 = memcmp(a, b, 32) == 0;
  d0_sha512(a);
  sodium_sha512(b);
  int same512 = memcmp(a, b, 64) == 0;
  printf("digests agree: %d %d\n", same256, same512);
  return same256 && same512 ? 0 : 1;
}
