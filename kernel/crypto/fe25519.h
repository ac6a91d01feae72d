/*
 * Arithmetic in GF(p), p = 2^255 - 19, for Ed25519 (internal to kernel/crypto).
 *
 * An element is five unsigned 64-bit limbs in radix 2^51: v = sum h[i] * 2^(51 i). Limbs are
 * allowed to exceed 51 bits ("loose"); the bounds each function accepts and produces are:
 *   fe_mul / fe_sq: inputs with limbs < 2^54, output limbs < 2^51 + 2^15.
 *   fe_add: output limb = sum of the input limbs (no carry), so adding two mul/sq/sub outputs
 *           gives limbs < 2^52.1: still a valid mul/sq/sub input.
 *   fe_sub: f with limbs < 2^54, g with limbs < 2^53 (the limbs of 4p), output limbs < 2^51 + 2^8
 *           (it carries).
 * 64x64->128-bit products use unsigned __int128 (clang provides it on x86_64 for both the host
 * and the x86_64-unknown-windows UEFI target; no libcalls are emitted for these shapes).
 * Every function here is branch-free.
 */
#ifndef D0_CRYPTO_FE25519_H
#define D0_CRYPTO_FE25519_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t fe[5];
typedef unsigned __int128 fe_u128;

#define FE_MASK51 ((UINT64_C(1) << 51) - 1)

static inline void fe_copy(fe h, const fe f) {
  for (int i = 0; i < 5; i++)
    h[i] = f[i];
}

static inline void fe_0(fe h) {
  for (int i = 0; i < 5; i++)
    h[i] = 0;
}

static inline void fe_1(fe h) {
  fe_0(h);
  h[0] = 1;
}

static inline void fe_add(fe h, const fe f, const fe g) {
  for (int i = 0; i < 5; i++)
    h[i] = f[i] + g[i];
}

/* h = f - g, computed as f + 4p - g (so no limb goes negative) followed by one carry pass. */
static inline void fe_sub(fe h, const fe f, const fe g) {
  /* 4p in radix 2^51: 4 * (2^51 - 19), then 4 * (2^51 - 1) for the other limbs. */
  const uint64_t four_p0 = 0x1FFFFFFFFFFFB4, four_pi = 0x1FFFFFFFFFFFFC;
  uint64_t h0 = f[0] + four_p0 - g[0];
  uint64_t h1 = f[1] + four_pi - g[1];
  uint64_t h2 = f[2] + four_pi - g[2];
  uint64_t h3 = f[3] + four_pi - g[3];
  uint64_t h4 = f[4] + four_pi - g[4];
  h1 += h0 >> 51;
  h0 &= FE_MASK51;
  h2 += h1 >> 51;
  h1 &= FE_MASK51;
  h3 += h2 >> 51;
  h2 &= FE_MASK51;
  h4 += h3 >> 51;
  h3 &= FE_MASK51;
  h0 += 19 * (h4 >> 51);
  h4 &= FE_MASK51;
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
}

/* h = -f */
static inline void fe_neg(fe h, const fe f) {
  fe zero;
  fe_0(zero);
  fe_sub(h, zero, f);
}

/* Carries the five 128-bit column sums r0..r4 into h (2^255 = 19 mod p). */
static inline void fe_carry_wide(fe h, fe_u128 r0, fe_u128 r1, fe_u128 r2, fe_u128 r3,
                                 fe_u128 r4) {
  r1 += r0 >> 51;
  r2 += r1 >> 51;
  r3 += r2 >> 51;
  r4 += r3 >> 51;
  uint64_t h0 = (uint64_t)r0 & FE_MASK51;
  h0 += 19 * (uint64_t)(r4 >> 51);
  uint64_t h1 = ((uint64_t)r1 & FE_MASK51) + (h0 >> 51);
  h[0] = h0 & FE_MASK51;
  h[1] = h1;
  h[2] = (uint64_t)r2 & FE_MASK51;
  h[3] = (uint64_t)r3 & FE_MASK51;
  h[4] = (uint64_t)r4 & FE_MASK51;
}

/* h = f * g. Schoolbook product; terms at or above 2^255 are folded back multiplied by 19. */
static inline void fe_mul(fe h, const fe f, const fe g) {
  uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
  uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
  uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
  fe_u128 r0 = (fe_u128)f0 * g0 + (fe_u128)f1 * g4_19 + (fe_u128)f2 * g3_19 +
               (fe_u128)f3 * g2_19 + (fe_u128)f4 * g1_19;
  fe_u128 r1 = (fe_u128)f0 * g1 + (fe_u128)f1 * g0 + (fe_u128)f2 * g4_19 +
               (fe_u128)f3 * g3_19 + (fe_u128)f4 * g2_19;
  fe_u128 r2 = (fe_u128)f0 * g2 + (fe_u128)f1 * g1 + (fe_u128)f2 * g0 + (fe_u128)f3 * g4_19 +
               (fe_u128)f4 * g3_19;
  fe_u128 r3 = (fe_u128)f0 * g3 + (fe_u128)f1 * g2 + (fe_u128)f2 * g1 + (fe_u128)f3 * g0 +
               (fe_u128)f4 * g4_19;
  fe_u128 r4 = (fe_u128)f0 * g4 + (fe_u128)f1 * g3 + (fe_u128)f2 * g2 + (fe_u128)f3 * g1 +
               (fe_u128)f4 * g0;
  fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^2: fe_mul with the symmetric cross terms doubled once instead of computed twice. */
static inline void fe_sq(fe h, const fe f) {
  uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
  uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
  uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
  fe_u128 r0 = (fe_u128)f0 * f0 + (fe_u128)(2 * f1) * f4_19 + (fe_u128)(2 * f2) * f3_19;
  fe_u128 r1 = (fe_u128)f0_2 * f1 + (fe_u128)(2 * f2) * f4_19 + (fe_u128)f3 * f3_19;
  fe_u128 r2 = (fe_u128)f0_2 * f2 + (fe_u128)f1 * f1 + (fe_u128)(2 * f3) * f4_19;
  fe_u128 r3 = (fe_u128)f0_2 * f3 + (fe_u128)f1_2 * f2 + (fe_u128)f4 * f4_19;
  fe_u128 r4 = (fe_u128)f0_2 * f4 + (fe_u128)f1_2 * f3 + (fe_u128)f2 * f2;
  fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n), n >= 1. */
static inline void fe_sq_n(fe h, const fe f, int n) {
  fe_sq(h, f);
  for (int i = 1; i < n; i++)
    fe_sq(h, h);
}

/* Decodes 32 little-endian bytes, ignoring bit 255 (the caller handles the sign bit and
 * checks canonicity with fe_bytes_canonical). */
void fe_frombytes(fe h, const uint8_t s[32]);

/* Encodes the unique representative in [0, p) as 32 little-endian bytes (bit 255 clear). */
void fe_tobytes(uint8_t s[32], const fe h);

/* true iff the 255-bit little-endian value of s (bit 255 ignored) is < p. */
bool fe_bytes_canonical(const uint8_t s[32]);

/* true iff f = 0 mod p. */
bool fe_is_zero(const fe f);

/* true iff f = g mod p. */
bool fe_equal(const fe f, const fe g);

/* The parity (bit 0) of the representative in [0, p): the "sign" of RFC 8032 §5.1.2. */
int fe_is_odd(const fe f);

/* h = 1/f = f^(p-2) (0 maps to 0). */
void fe_invert(fe h, const fe f);

/* h = f^((p-5)/8) = f^(2^252-3), the exponent of the RFC 8032 §5.1.3 square root. */
void fe_pow22523(fe h, const fe f);

#endif /* D0_CRYPTO_FE25519_H */
