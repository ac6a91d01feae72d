/*
 * Instructions per Ed25519 verification: D0's ed25519_verify vs libsodium's
 * crypto_sign_verify_detached on the same inputs (bench/ed25519/run.sh builds this twice and
 * counts instructions with callgrind inside verify_all only).
 *
 * Inputs: N_SIGS key pairs and signatures over MSG_LEN-byte messages, made with libsodium from
 * fixed seeds, so both builds verify byte-identical data. Every verification must succeed.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#ifndef USE_SODIUM
#include "d0/ed25519.h"
#endif

#define N_SIGS 32
#ifndef MSG_LEN
#define MSG_LEN 64
#endif

static uint8_t pubs[N_SIGS][32], sigs[N_SIGS][64], msgs[N_SIGS][MSG_LEN];

/* The measured region: callgrind counts instructions only inside this function. */
__attribute__((noinline)) int verify_all(void) {
  int ok = 0;
  for (int i = 0; i < N_SIGS; i++) {
#ifdef USE_SODIUM
    ok += crypto_sign_verify_detached(sigs[i], msgs[i], MSG_LEN, pubs[i]) == 0;
#else
    ok += ed25519_verify(sigs[i], msgs[i], MSG_LEN, pubs[i]) == 0;
#endif
  }
  return ok;
}

int main(void) {
  if (sodium_init() < 0)
    return 2;
  for (int i = 0; i < N_SIGS; i++) {
    uint8_t seed[32], sk[64];
    memset(seed, 0x40 + i, sizeof seed);
    crypto_sign_seed_keypair(pubs[i], sk, seed);
    for (int j = 0; j < MSG_LEN; j++)
      msgs[i][j] = (uint8_t)(i * 31 + j * 7);
    crypto_sign_detached(sigs[i], NULL, msgs[i], MSG_LEN, sk);
  }
  int ok = verify_all();
  printf("verified %d of %d\n", ok, N_SIGS);
  return ok == N_SIGS ? 0 : 1;
}
