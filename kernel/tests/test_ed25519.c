/*
 * Ed25519 verification: RFC 8032 §7.1 vectors, every single-bit flip of signature, message and
 * key rejected, a wrong key rejected, non-canonical S (S + L) rejected, non-canonical and
 * off-curve point encodings rejected, small-order A and R rejected even when the group
 * equation holds, and the cofactored equation's acceptance of a mixed-order R.
 * Scalar reduction is checked against libsodium, the NAF recoding against its definition.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto/ge25519.h"
#include "../crypto/sc25519.h"
#include "check.h"
#include "unhex.h"
#include "d0/ed25519.h"
#include "d0/sha2.h"
#include "rfc8032_vectors.h"

#define N_VECTORS (sizeof RFC8032_VECTORS / sizeof RFC8032_VECTORS[0])

struct vec {
  uint8_t pub[32], sig[64], msg[1024];
  size_t msg_len;
};

static void load(struct vec *v, const struct rfc8032_vector *r) {
  unhex(v->pub, 32, r->public_hex);
  unhex(v->sig, 64, r->sig_hex);
  v->msg_len = unhex(v->msg, sizeof v->msg, r->msg_hex);
}

/* The 8 points of the torsion subgroup (orders 1, 2, 4, 4, 8, 8, 8, 8), canonical encodings. */
static const char *TORSION_HEX[8] = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
};

static const char *BASE_HEX = "5866666666666666666666666666666666666666666666666666666666666666";

/* out = [s]P by double-and-add (test helper; s is 32 little-endian bytes). */
static void scalarmult(ge_p3 *out, const uint8_t s[32], const ge_p3 *p) {
  ge_cached pc;
  ge_done t;
  ge_to_cached(&pc, p);
  ge_identity(out);
  for (int i = 255; i >= 0; i--) {
    ge_dbl(&t, out);
    ge_done_to_p3(out, &t);
    if ((s[i >> 3] >> (i & 7)) & 1) {
      ge_add(&t, out, &pc);
      ge_done_to_p3(out, &t);
    }
  }
}

static void scalarmult_base_bytes(uint8_t out[32], const uint8_t s[32]) {
  ge_p3 b, r;
  ge_base(&b);
  scalarmult(&r, s, &b);
  ge_tobytes(out, &r);
}

/* out = (a + b) mod L for a, b < 2^255. */
static void sc_add(uint8_t out[32], const uint8_t a[32], const uint8_t b[32]) {
  uint8_t wide[64] = {0};
  unsigned carry = 0;
  for (int i = 0; i < 32; i++) {
    carry += (unsigned)a[i] + b[i];
    wide[i] = (uint8_t)carry;
    carry >>= 8;
  }
  wide[32] = (uint8_t)carry;
  sc_reduce64(out, wide);
}

/* k = SHA-512(R || A || M) mod L */
static void challenge(uint8_t k[32], const uint8_t r[32], const uint8_t a[32], const uint8_t *m,
                      size_t n) {
  struct sha512_ctx h;
  uint8_t d[64];
  sha512_init(&h);
  sha512_update(&h, r, 32);
  sha512_update(&h, a, 32);
  sha512_update(&h, m, n);
  sha512_final(&h, d);
  sc_reduce64(k, d);
}

static void test_rfc_vectors(void) {
  static struct vec v, other;
  for (size_t i = 0; i < N_VECTORS; i++) {
    const char *name = RFC8032_VECTORS[i].name;
    load(&v, &RFC8032_VECTORS[i]);
    CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == 0, "%s valid", name);

    for (size_t j = 0; j < N_VECTORS; j++) {
      if (j == i)
        continue;
      load(&other, &RFC8032_VECTORS[j]);
      CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len, other.pub) == -1, "%s under the key of %s",
                name, RFC8032_VECTORS[j].name);
    }
    unsigned rejected = 0, total = 0;
    for (size_t bit = 0; bit < 64 * 8; bit++, total++) {
      v.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      rejected += ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == -1;
      v.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < v.msg_len * 8; bit++, total++) {
      v.msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      rejected += ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == -1;
      v.msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 32 * 8; bit++, total++) {
      v.pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      rejected += ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == -1;
      v.pub[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_MSG(rejected == total, "%s: %u of %u single-bit flips of sig/msg/key rejected", name,
              rejected, total);
    /* A longer or shorter message is a different message. */
    if (v.msg_len > 0)
      CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len - 1, v.pub) == -1, "%s truncated msg", name);
    CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len + 1, v.pub) == -1, "%s extended msg", name);
    CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == 0, "%s still valid", name);
  }
}

static void test_noncanonical_s(void) {
  static const char *L_HEX = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
  uint8_t l[32];
  unhex(l, 32, L_HEX);
  static struct vec v;
  for (size_t i = 0; i < N_VECTORS; i++) {
    load(&v, &RFC8032_VECTORS[i]);
    CHECK_MSG(sc_is_canonical(v.sig + 32), "%s S < L", RFC8032_VECTORS[i].name);
    /* S + L: the same point [S]B, so only the S < L check can reject it. */
    unsigned carry = 0;
    for (int j = 0; j < 32; j++) {
      carry += (unsigned)v.sig[32 + j] + l[j];
      v.sig[32 + j] = (uint8_t)carry;
      carry >>= 8;
    }
    CHECK_MSG(carry == 0 && !sc_is_canonical(v.sig + 32), "S + L fits in 256 bits, not canonical");
    CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len, v.pub) == -1, "%s with S + L",
              RFC8032_VECTORS[i].name);
  }
  load(&v, &RFC8032_VECTORS[0]);
  memcpy(v.sig + 32, l, 32);
  CHECK_MSG(!sc_is_canonical(v.sig + 32) && ed25519_verify(v.sig, v.msg, 0, v.pub) == -1, "S = L");
  memset(v.sig + 32, 0xff, 32);
  CHECK_MSG(ed25519_verify(v.sig, v.msg, 0, v.pub) == -1, "S = 2^256 - 1");
  uint8_t lm1[32];
  memcpy(lm1, l, 32);
  lm1[0]--;
  CHECK_MSG(sc_is_canonical(lm1), "L - 1 is canonical");
}

/* Encodings that must not decode: y >= p (every such y, both signs), "-0", an off-curve y. */
static void test_point_decoding(void) {
  uint8_t enc[32];
  ge_p3 p;
  unsigned noncanonical_rejected = 0;
  for (int k = 0; k < 19; k++) {
    for (int sign = 0; sign < 2; sign++) {
      /* y = p + k = 2^255 - 19 + k */
      memset(enc, 0xff, 32);
      enc[0] = (uint8_t)(0xed + k);
      enc[31] = 0x7f | (uint8_t)(sign << 7);
      noncanonical_rejected += !ge_frombytes(&p, enc);
    }
  }
  CHECK_MSG(noncanonical_rejected == 38, "all 38 encodings with y >= p rejected (%u)",
            noncanonical_rejected);
  /* y = 3 is on the curve: its canonical encoding decodes, y = p + 3 does not. */
  memset(enc, 0, 32);
  enc[0] = 3;
  CHECK_MSG(ge_frombytes(&p, enc), "y = 3 decodes");
  memset(enc, 0xff, 32);
  enc[0] = 0xf0;
  enc[31] = 0x7f;
  CHECK_MSG(!ge_frombytes(&p, enc), "y = p + 3 rejected");
  /* x = 0 with the sign bit set: y = 1 and y = -1 */
  unhex(enc, 32, "0100000000000000000000000000000000000000000000000000000000000080");
  CHECK_MSG(!ge_frombytes(&p, enc), "-0 with y = 1 rejected");
  unhex(enc, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  CHECK_MSG(!ge_frombytes(&p, enc), "-0 with y = -1 rejected");
  /* y = 2: (y^2 - 1)/(d y^2 + 1) is not a square. */
  memset(enc, 0, 32);
  enc[0] = 2;
  CHECK_MSG(!ge_frombytes(&p, enc), "y = 2 is not on the curve");

  /* Every such encoding, used as A or as R of a real signature, is rejected. */
  static struct vec v;
  load(&v, &RFC8032_VECTORS[1]);
  uint8_t sig[64];
  static const char *BAD[] = {
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
      "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "0100000000000000000000000000000000000000000000000000000000000080",
      "0200000000000000000000000000000000000000000000000000000000000000",
  };
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    unhex(enc, 32, BAD[i]);
    CHECK_MSG(ed25519_verify(v.sig, v.msg, v.msg_len, enc) == -1, "bad A %zu", i);
    memcpy(sig, v.sig, 64);
    memcpy(sig, enc, 32);
    CHECK_MSG(ed25519_verify(sig, v.msg, v.msg_len, v.pub) == -1, "bad R %zu", i);
  }
}

/*
 * Small-order A: with A in the torsion subgroup, (R = [r]B, S = r) satisfies the cofactored
 * equation for every message ([8][k]A = O), so only the small-order check rejects it.
 * Small-order R: with A = B (secret scalar 1), (R = T, S = k) satisfies it too.
 */
static void test_small_order(void) {
  uint8_t r_scalar[32] = {0x2a, 0x17, 0x99, 0x03, 0x55}, sig[64], a[32], t[32], k[32];
  const uint8_t msg[] = "small order";
  ge_p3 p, q;
  ge_done d;
  for (int i = 0; i < 8; i++) {
    unhex(t, 32, TORSION_HEX[i]);
    CHECK_MSG(ge_frombytes(&p, t), "torsion point %d decodes", i);
    CHECK_MSG(ge_has_small_order(&p), "torsion point %d has small order", i);
    if (i >= 4) {
      /* order exactly 8: 4P is not the identity */
      q = p;
      for (int j = 0; j < 2; j++) {
        ge_dbl(&d, &q);
        ge_done_to_p3(&q, &d);
      }
      CHECK_MSG(!ge_is_identity(&q), "torsion point %d has order 8", i);
    }
    /* A = T */
    scalarmult_base_bytes(sig, r_scalar);
    memcpy(sig + 32, r_scalar, 32);
    CHECK_MSG(ed25519_verify(sig, msg, sizeof msg, t) == -1, "small-order A %d rejected", i);
    /* R = T, A = B, S = k */
    unhex(a, 32, BASE_HEX);
    memcpy(sig, t, 32);
    challenge(k, t, a, msg, sizeof msg);
    memcpy(sig + 32, k, 32);
    CHECK_MSG(ed25519_verify(sig, msg, sizeof msg, a) == -1, "small-order R %d rejected", i);
  }
  /* Controls: the same constructions with a full-order A / R verify, so the rejections above
   * are the small-order checks and not an arithmetic failure. A = B: (R = [r]B, S = r + k). */
  unhex(a, 32, BASE_HEX);
  scalarmult_base_bytes(sig, r_scalar);
  challenge(k, sig, a, msg, sizeof msg);
  sc_add(sig + 32, r_scalar, k);
  CHECK_MSG(ed25519_verify(sig, msg, sizeof msg, a) == 0, "A = B, R = [r]B, S = r + k verifies");
  CHECK_MSG(ed25519_verify(sig, msg, sizeof msg - 1, a) == -1, "... for its message only");

  /* Mixed-order R = [r]B + T8 (T8 of order 8): the cofactored equation accepts it (as
   * @noble/ed25519 strict does), a cofactorless one would not. */
  ge_p3 rb, t8;
  ge_cached t8c;
  ge_base(&p);
  scalarmult(&rb, r_scalar, &p);
  unhex(t, 32, TORSION_HEX[4]);
  ge_frombytes(&t8, t);
  ge_to_cached(&t8c, &t8);
  ge_add(&d, &rb, &t8c);
  ge_done_to_p3(&q, &d);
  ge_tobytes(sig, &q);
  CHECK_MSG(!ge_has_small_order(&q), "[r]B + T8 has large order");
  challenge(k, sig, a, msg, sizeof msg);
  sc_add(sig + 32, r_scalar, k);
  CHECK_MSG(ed25519_verify(sig, msg, sizeof msg, a) == 0, "mixed-order R accepted (cofactored)");
}

static void test_scalar_reduce(void) {
  uint8_t wide[64], got[32], want[32];
  uint32_t x = 99;
  for (int n = 0; n < 2000; n++) {
    for (int i = 0; i < 64; i++) {
      x = x * 1664525u + 1013904223u;
      wide[i] = (uint8_t)(x >> 24);
    }
    if (n < 64) /* edge patterns: all ones, all zeros, one byte set */
      for (int i = 0; i < 64; i++)
        wide[i] = n == 0 ? 0xff : n == 1 ? 0 : (i == n ? 0xff : 0);
    sc_reduce64(got, wide);
    crypto_core_ed25519_scalar_reduce(want, wide);
    CHECK_MSG(memcmp(got, want, 32) == 0, "sc_reduce64 case %d", n);
    CHECK_MSG(sc_is_canonical(got), "reduced scalar %d < L", n);
  }
}

/* sum naf[i] 2^i == s, digits odd and bounded, at most one non-zero digit per window. */
static void test_wnaf(void) {
  uint8_t s[32];
  int8_t naf[256];
  uint32_t x = 7;
  for (int n = 0; n < 500; n++) {
    for (int i = 0; i < 32; i++) {
      x = x * 1664525u + 1013904223u;
      s[i] = (uint8_t)(x >> 24);
    }
    s[31] &= n % 2 ? 0x1f : 0x0f; /* < 2^253 */
    if (n == 0)
      memset(s, 0, 32);
    if (n == 1) {
      memset(s, 0xff, 32);
      s[31] = 0x1f;
    }
    for (int w = 2; w <= 8; w++) {
      int top = sc_wnaf(naf, s, w);
      /* Rebuild the value as 32 bytes of signed accumulation with carries. */
      int64_t acc[33] = {0};
      bool shape_ok = true;
      int last = -1000, expect_top = -1;
      for (int i = 0; i < 256; i++) {
        int dgt = naf[i];
        if (dgt == 0)
          continue;
        expect_top = i;
        if (!(dgt & 1) || dgt >= (1 << (w - 1)) || dgt <= -(1 << (w - 1)) || i - last < w)
          shape_ok = false;
        last = i;
        acc[i / 8] += (int64_t)dgt * (1 << (i % 8));
      }
      for (int i = 0; i < 32; i++) {
        int64_t c = acc[i] >> 8; /* arithmetic shift: floor division */
        acc[i] -= c * 256;
        acc[i + 1] += c;
      }
      bool value_ok = acc[32] == 0;
      for (int i = 0; i < 32; i++)
        value_ok = value_ok && acc[i] == s[i];
      CHECK_MSG(shape_ok && value_ok && top == expect_top, "wnaf case %d width %d", n, w);
    }
  }
}

int main(void) {
  if (sodium_init() < 0)
    return 2;
  test_rfc_vectors();
  test_noncanonical_s();
  test_point_decoding();
  test_small_order();
  test_scalar_reduce();
  test_wnaf();
  return check_exit("ed25519");
}
