/* GF(2^255-19): encoding, comparison and exponentiation (fe25519.h). */
#include "fe25519.h"

static uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static void store_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++, v >>= 8)
    p[i] = (uint8_t)v;
}

void fe_frombytes(fe h, const uint8_t s[32]) {
  uint64_t w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16),
           w3 = load_le64(s + 24);
  h[0] = w0 & FE_MASK51;
  h[1] = ((w0 >> 51) | (w1 << 13)) & FE_MASK51;
  h[2] = ((w1 >> 38) | (w2 << 26)) & FE_MASK51;
  h[3] = ((w2 >> 25) | (w3 << 39)) & FE_MASK51;
  h[4] = (w3 >> 12) & FE_MASK51;
}

/* One carry pass with wrap-around. For limbs < 2^54 on entry, two passes leave h[1..4] < 2^51
 * and h[0] < 2^51 + 19, so the value is below 2^255 + 19 < 2p. */
static void fe_carry(uint64_t h[5]) {
  for (int i = 0; i < 4; i++) {
    h[i + 1] += h[i] >> 51;
    h[i] &= FE_MASK51;
  }
  h[0] += 19 * (h[4] >> 51);
  h[4] &= FE_MASK51;
}

void fe_tobytes(uint8_t s[32], const fe f) {
  uint64_t h[5];
  for (int i = 0; i < 5; i++)
    h[i] = f[i];
  fe_carry(h);
  fe_carry(h);
  /* Now v = sum h[i] 2^(51 i) < 2p. q = floor((v + 19) / 2^255) is 1 iff v >= p; the exact
   * carry propagation below computes it from the limbs without forming v. */
  uint64_t q = (h[0] + 19) >> 51;
  q = (h[1] + q) >> 51;
  q = (h[2] + q) >> 51;
  q = (h[3] + q) >> 51;
  q = (h[4] + q) >> 51;
  /* v - q p = v + 19 q - q 2^255: add 19q, carry, and drop bit 255. */
  h[0] += 19 * q;
  for (int i = 0; i < 4; i++) {
    h[i + 1] += h[i] >> 51;
    h[i] &= FE_MASK51;
  }
  h[4] &= FE_MASK51;
  store_le64(s, h[0] | (h[1] << 51));
  store_le64(s + 8, (h[1] >> 13) | (h[2] << 38));
  store_le64(s + 16, (h[2] >> 26) | (h[3] << 25));
  store_le64(s + 24, (h[3] >> 39) | (h[4] << 12));
}

bool fe_bytes_canonical(const uint8_t s[32]) {
  /* With bit 255 cleared, the values >= p = 2^255 - 19 are exactly 2^255-19 .. 2^255-1:
   * byte 0 >= 0xed, bytes 1..30 all 0xff, byte 31 (7 bits) 0x7f. */
  uint32_t all_ff = 0xff;
  for (int i = 1; i < 31; i++)
    all_ff &= s[i];
  bool high_max = all_ff == 0xff && (s[31] & 0x7f) == 0x7f;
  return !(high_max && s[0] >= 0xed);
}

bool fe_is_zero(const fe f) {
  uint8_t s[32];
  fe_tobytes(s, f);
  uint8_t acc = 0;
  for (int i = 0; i < 32; i++)
    acc |= s[i];
  return acc == 0;
}

bool fe_equal(const fe f, const fe g) {
  fe d;
  fe_sub(d, f, g);
  return fe_is_zero(d);
}

int fe_is_odd(const fe f) {
  uint8_t s[32];
  fe_tobytes(s, f);
  return s[0] & 1;
}

/*
 * Shared addition chain: returns z^(2^250 - 1) in t250 and z^11 in z11.
 *   z^2, z^9 = z^8 z, z^11 = z^9 z^2, z^(2^5-1) = z^22 z^9, then z^(2^n-1) for
 *   n = 10, 20, 40, 50, 100, 200, 250 by squaring n/2 or n times and multiplying.
 */
static void fe_pow_2_250_1(fe t250, fe z11, const fe z) {
  fe z2, z9, t, t5, t10, t20, t50, t100;
  fe_sq(z2, z);
  fe_sq_n(t, z2, 2);
  fe_mul(z9, t, z);
  fe_mul(z11, z9, z2);
  fe_sq(t, z11);
  fe_mul(t5, t, z9);
  fe_sq_n(t, t5, 5);
  fe_mul(t10, t, t5);
  fe_sq_n(t, t10, 10);
  fe_mul(t20, t, t10);
  fe_sq_n(t, t20, 20);
  fe_mul(t, t, t20);
  fe_sq_n(t, t, 10);
  fe_mul(t50, t, t10);
  fe_sq_n(t, t50, 50);
  fe_mul(t100, t, t50);
  fe_sq_n(t, t100, 100);
  fe_mul(t, t, t100);
  fe_sq_n(t, t, 50);
  fe_mul(t250, t, t50);
}

void fe_invert(fe h, const fe f) {
  fe t250, z11;
  fe_pow_2_250_1(t250, z11, f);
  /* (2^250 - 1) 2^5 + 11 = 2^255 - 21 = p - 2 */
  fe_sq_n(t250, t250, 5);
  fe_mul(h, t250, z11);
}

void fe_pow22523(fe h, const fe f) {
  fe t250, z11;
  fe_pow_2_250_1(t250, z11, f);
  /* (2^250 - 1) 2^2 + 1 = 2^252 - 3 */
  fe_sq_n(t250, t250, 2);
  fe_mul(h, t250, f);
}
