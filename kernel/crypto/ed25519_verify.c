/*
 * Ed25519 verification, RFC 8032 §5.1.7 (d0/ed25519.h).
 *
 * Policy, and why:
 *  - S must be < L (§5.1.7 step 1): otherwise S and S + L would both verify (malleability).
 *  - A and R must be canonical encodings of curve points (§5.1.3, including "x = 0 with the
 *    sign bit set" which §5.1.3 step 4 rejects): one point, one encoding.
 *  - A of small order (8A = O) is rejected: with such a key [k]A vanishes after the cofactor
 *    is cleared, so one signature would verify for many messages. D0's key is fixed at build
 *    time, so this only matters as defence in depth, and it is what libsodium and @noble/ed25519
 *    (strict mode) do too.
 *  - R of small order is rejected too. An honest signer's R = [r]B has order L; a small-order
 *    R only appears in forged or crafted signatures. @noble/ed25519 strict mode does NOT reject
 *    it (libsodium does): this is the one intentional difference from @noble, covered by the
 *    differential test's "small-order R" cases.
 *  - The group equation is the cofactored [8][S]B = [8]R + [8][k]A (§5.1.7 step 3, the form the
 *    RFC states; the cofactorless variant it also permits rejects some mixed-order points that
 *    this accepts). It matches @noble/ed25519 strict mode on every input except small-order R.
 * Everything here is public data, so the scalar multiplication may be variable-time (sliding
 * windows); the field arithmetic stays branch-free anyway.
 */
#include "d0/ed25519.h"
#include "d0/lib.h"
#include "d0/sha2.h"
#include "ge25519.h"
#include "sc25519.h"

/* Window width of the non-adjacent forms: 8 precomputed odd multiples per point. */
#define WNAF_W 5
#define WNAF_TABLE (1 << (WNAF_W - 2))

/* table[j] = (2j + 1) p, for j < WNAF_TABLE. */
static void odd_multiples(ge_cached table[WNAF_TABLE], const ge_p3 *p) {
  ge_done t;
  ge_p3 p2, acc;
  ge_cached two_p;
  ge_dbl(&t, p);
  ge_done_to_p3(&p2, &t);
  ge_to_cached(&two_p, &p2);
  ge_to_cached(&table[0], p);
  acc = *p;
  for (int j = 1; j < WNAF_TABLE; j++) {
    ge_add(&t, &acc, &two_p);
    ge_done_to_p3(&acc, &t);
    ge_to_cached(&table[j], &acc);
  }
}

/* Adds naf_digit * table to the pending result t (which is completed to acc first). */
static void add_digit(ge_done *t, ge_p3 *acc, const ge_cached table[WNAF_TABLE], int digit) {
  ge_done_to_p3(acc, t);
  if (digit > 0)
    ge_add(t, acc, &table[digit / 2]);
  else
    ge_sub(t, acc, &table[-digit / 2]);
}

/*
 * out = [s]B - [k]A, by Straus' interleaving of the two width-5 NAFs (one shared chain of
 * doublings). The NAFs are computed by the caller to keep this frame small (< 4 KiB).
 */
/* noinline: its tables must not share a frame with the caller's NAFs and hash state. */
__attribute__((noinline)) static void double_scalarmult(ge_p3 *out, const int8_t s_naf[256], int s_top,
                              const int8_t k_naf[256], int k_top, const ge_p3 *a) {
  ge_cached a_table[WNAF_TABLE], b_table[WNAF_TABLE];
  ge_p3 base, acc;
  ge_base(&base);
  odd_multiples(b_table, &base);
  odd_multiples(a_table, a);

  /* t is the pending result in completed form; E=0, F=G=H=1 is the identity (0 : 1 : 1 : 0). */
  ge_done t;
  fe_0(t.E);
  fe_1(t.F);
  fe_1(t.G);
  fe_1(t.H);
  int top = s_top > k_top ? s_top : k_top;
  for (int i = top; i >= 0; i--) {
    ge_done_to_p2(&acc, &t);
    ge_dbl(&t, &acc);
    if (s_naf[i] != 0)
      add_digit(&t, &acc, b_table, s_naf[i]);
    if (k_naf[i] != 0)
      add_digit(&t, &acc, a_table, -k_naf[i]);
  }
  ge_done_to_p3(out, &t);
}

int ed25519_verify(const uint8_t sig[ED25519_SIG_LEN], const uint8_t *msg, size_t msg_len,
                   const uint8_t pub[ED25519_PUBLIC_KEY_LEN]) {
  const uint8_t *r_bytes = sig, *s_bytes = sig + 32;
  if (!sc_is_canonical(s_bytes))
    return -1;
  ge_p3 a, r;
  if (!ge_frombytes(&a, pub) || ge_has_small_order(&a))
    return -1;
  if (!ge_frombytes(&r, r_bytes) || ge_has_small_order(&r))
    return -1;

  /* k = SHA-512(R || A || M) mod L, over the bytes as given (they are canonical, checked above). */
  struct sha512_ctx h;
  uint8_t digest[SHA512_DIGEST_LEN], k[32];
  sha512_init(&h);
  sha512_update(&h, r_bytes, 32);
  sha512_update(&h, pub, 32);
  sha512_update(&h, msg, msg_len);
  sha512_final(&h, digest);
  sc_reduce64(k, digest);

  int8_t s_naf[256], k_naf[256];
  int s_top = sc_wnaf(s_naf, s_bytes, WNAF_W);
  int k_top = sc_wnaf(k_naf, k, WNAF_W);

  /* Q = [S]B - [k]A - R; the signature is valid iff [8]Q is the identity. */
  ge_p3 sb_minus_ka, q;
  double_scalarmult(&sb_minus_ka, s_naf, s_top, k_naf, k_top, &a);
  ge_cached r_cached;
  ge_to_cached(&r_cached, &r);
  ge_done t;
  ge_sub(&t, &sb_minus_ka, &r_cached);
  ge_done_to_p3(&q, &t);
  return ge_has_small_order(&q) ? 0 : -1;
}
