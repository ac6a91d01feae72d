/*
 * Scalars modulo the group order L = 2^252 + 27742317777372353535851937790883648493
 * (RFC 8032 §5.1), internal to kernel/crypto. Scalars are 32 little-endian bytes.
 */
#ifndef D0_CRYPTO_SC25519_H
#define D0_CRYPTO_SC25519_H

#include <stdbool.h>
#include <stdint.h>

/* true iff the 256-bit little-endian value s is < L (S of a signature must be, §5.1.7). */
bool sc_is_canonical(const uint8_t s[32]);

/* out = the 512-bit little-endian value in mod L (for k = SHA-512(R || A || M) mod L). */
void sc_reduce64(uint8_t out[32], const uint8_t in[64]);

/*
 * The width-w non-adjacent form of a scalar s < 2^253 (so every carry stays below digit 256;
 * scalars mod L qualify): naf[i] is 0 or odd in
 * [-(2^(w-1)-1), 2^(w-1)-1], any w consecutive digits hold at most one non-zero one, and
 * s = sum naf[i] 2^i. 2 <= w <= 8. Returns the index of the highest non-zero digit, -1 if s = 0.
 */
int sc_wnaf(int8_t naf[256], const uint8_t s[32], int w);

#endif /* D0_CRYPTO_SC25519_H */
