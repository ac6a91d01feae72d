/* Scalars mod L (sc25519.h). */
#include "sc25519.h"

typedef unsigned __int128 u128;

/* L in 64-bit little-endian words. */
static const uint64_t L_WORDS[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL};

/* mu = floor(2^512 / L), the Barrett constant for b = 2^64, k = 4 (260 bits, 5 words). */
static const uint64_t MU_WORDS[5] = {0xed9ce5a30a2c131bULL, 0x2106215d086329a7ULL,
                                     0xffffffffffffffebULL, 0xffffffffffffffffULL, 0xfULL};

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

/* a - b over n words; returns the borrow (1 if a < b). */
static uint64_t sub_words(uint64_t *r, const uint64_t *a, const uint64_t *b, int n) {
  uint64_t borrow = 0;
  for (int i = 0; i < n; i++) {
    u128 d = (u128)a[i] - b[i] - borrow;
    r[i] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  return borrow;
}

bool sc_is_canonical(const uint8_t s[32]) {
  uint64_t w[4], r[4];
  for (int i = 0; i < 4; i++)
    w[i] = load_le64(s + 8 * i);
  return sub_words(r, w, L_WORDS, 4) == 1;
}

/*
 * Barrett reduction (Handbook of Applied Cryptography, Algorithm 14.42) with b = 2^64, k = 4:
 * q = floor(floor(x / b^3) mu / b^5) underestimates floor(x / L) by at most 2, so
 * r = x - q L (computed mod b^5) is < 3L and at most two subtractions of L finish it.
 */
void sc_reduce64(uint8_t out[32], const uint8_t in[64]) {
  uint64_t x[8];
  for (int i = 0; i < 8; i++)
    x[i] = load_le64(in + 8 * i);

  /* q2 = q1 * mu where q1 = x[3..7]; only words 5..9 of q2 (= q3) are needed, but the lower
   * words carry into them, so the whole product is formed. */
  uint64_t q2[10] = {0};
  for (int i = 0; i < 5; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < 5; j++) {
      u128 t = (u128)x[3 + i] * MU_WORDS[j] + q2[i + j] + carry;
      q2[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
    q2[i + 5] = carry;
  }
  const uint64_t *q3 = q2 + 5;

  /* r2 = q3 * L mod b^5 */
  uint64_t r2[5] = {0};
  for (int i = 0; i < 5; i++) {
    uint64_t carry = 0;
    for (int j = 0; i + j < 5; j++) {
      u128 t = (u128)q3[i] * (j < 4 ? L_WORDS[j] : 0) + r2[i + j] + carry;
      r2[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
  }

  uint64_t r[5], t[5];
  sub_words(r, x, r2, 5); /* mod b^5: the final borrow is meant to be dropped */
  const uint64_t l5[5] = {L_WORDS[0], L_WORDS[1], L_WORDS[2], L_WORDS[3], 0};
  for (int i = 0; i < 2; i++) {
    /* Branch-free conditional subtraction: keep r - L unless it borrowed. */
    uint64_t borrow = sub_words(t, r, l5, 5);
    uint64_t keep_r = 0 - borrow;
    for (int j = 0; j < 5; j++)
      r[j] = (r[j] & keep_r) | (t[j] & ~keep_r);
  }
  for (int i = 0; i < 4; i++)
    store_le64(out + 8 * i, r[i]);
}

static unsigned bit_at(const uint8_t s[32], int i) {
  return i < 256 ? (s[i >> 3] >> (i & 7)) & 1 : 0;
}

int sc_wnaf(int8_t naf[256], const uint8_t s[32], int w) {
  for (int i = 0; i < 256; i++)
    naf[i] = 0;
  /* Scan from bit 0 with an incoming carry. Where bit + carry is odd, the w bits starting
   * there plus the carry form an odd window value v < 2^w; it becomes the digit v or v - 2^w
   * (then carrying 2^w upward), and the next w-1 digits are zero. */
  unsigned carry = 0;
  int top = -1;
  for (int i = 0; i < 256;) {
    if (bit_at(s, i) == carry) {
      i++;
      continue;
    }
    int v = (int)carry;
    for (int j = 0; j < w; j++)
      v += (int)(bit_at(s, i + j) << j);
    if (v & (1 << (w - 1))) {
      naf[i] = (int8_t)(v - (1 << w));
      carry = 1;
    } else {
      naf[i] = (int8_t)v;
      carry = 0;
    }
    top = i;
    i += w;
  }
  return top;
}
