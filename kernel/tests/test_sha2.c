/*
 * SHA-256 / SHA-512: the FIPS 180 example vectors, then every message length 0..1100 with
 * pseudo-random bytes against libsodium's implementations (an independent oracle), hashed both
 * one-shot and incrementally in uneven chunks (block-boundary and padding cases).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "unhex.h"
#include "d0/sha2.h"

struct fips_vector {
  const char *msg;
  size_t repeat; /* msg is repeated this many times */
  const char *sha256_hex, *sha512_hex;
};

static const struct fips_vector FIPS[] = {
    {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
    {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", NULL},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     1, NULL,
     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
     "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
};

static void test_fips(void) {
  for (size_t i = 0; i < sizeof FIPS / sizeof FIPS[0]; i++) {
    const struct fips_vector *v = &FIPS[i];
    size_t unit = strlen(v->msg);
    struct sha256_ctx c256;
    struct sha512_ctx c512;
    sha256_init(&c256);
    sha512_init(&c512);
    for (size_t r = 0; r < v->repeat; r++) {
      sha256_update(&c256, v->msg, unit);
      sha512_update(&c512, v->msg, unit);
    }
    uint8_t got256[32], got512[64], want[64];
    sha256_final(&c256, got256);
    sha512_final(&c512, got512);
    if (v->sha256_hex) {
      unhex(want, sizeof want, v->sha256_hex);
      CHECK_MSG(memcmp(got256, want, 32) == 0, "FIPS vector %zu SHA-256", i);
    }
    if (v->sha512_hex) {
      unhex(want, sizeof want, v->sha512_hex);
      CHECK_MSG(memcmp(got512, want, 64) == 0, "FIPS vector %zu SHA-512", i);
    }
    if (v->repeat == 1) {
      uint8_t one256[32], one512[64];
      sha256(v->msg, unit, one256);
      sha512(v->msg, unit, one512);
      CHECK_MSG(memcmp(one256, got256, 32) == 0, "FIPS vector %zu one-shot SHA-256", i);
      CHECK_MSG(memcmp(one512, got512, 64) == 0, "FIPS vector %zu one-shot SHA-512", i);
    }
  }
}

static void test_all_lengths_against_libsodium(void) {
  enum { MAX_LEN = 1100 };
  uint8_t *msg = malloc(MAX_LEN);
  uint32_t x = 0x12345678;
  for (size_t i = 0; i < MAX_LEN; i++) {
    x = x * 1103515245u + 12345u;
    msg[i] = (uint8_t)(x >> 16);
  }
  for (size_t len = 0; len <= MAX_LEN; len++) {
    uint8_t want256[32], want512[64], got256[32], got512[64];
    crypto_hash_sha256(want256, msg, len);
    crypto_hash_sha512(want512, msg, len);
    sha256(msg, len, got256);
    sha512(msg, len, got512);
    CHECK_MSG(memcmp(got256, want256, 32) == 0, "SHA-256 one-shot, length %zu", len);
    CHECK_MSG(memcmp(got512, want512, 64) == 0, "SHA-512 one-shot, length %zu", len);

    /* Incremental in chunks of 1, 2, 3, ... bytes (crosses every buffer state). */
    struct sha256_ctx c256;
    struct sha512_ctx c512;
    sha256_init(&c256);
    sha512_init(&c512);
    for (size_t off = 0, step = 1; off < len; off += step, step++) {
      size_t n = step < len - off ? step : len - off;
      sha256_update(&c256, msg + off, n);
      sha512_update(&c512, msg + off, n);
    }
    sha256_final(&c256, got256);
    sha512_final(&c512, got512);
    CHECK_MSG(memcmp(got256, want256, 32) == 0, "SHA-256 incremental, length %zu", len);
    CHECK_MSG(memcmp(got512, want512, 64) == 0, "SHA-512 incremental, length %zu", len);
  }
  free(msg);
}

int main(void) {
  if (sodium_init() < 0)
    return 2;
  test_fips();
  test_all_lengths_against_libsodium();
  return check_exit("sha2");
}
