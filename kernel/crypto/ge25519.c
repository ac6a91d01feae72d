/* Ed25519 group operations (ge25519.h). */
#include "ge25519.h"

/* Constants of RFC 8032 §5.1 in radix 2^51 (fe25519.h). */
static const fe FE_D = {0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb,
                        0x52036cee2b6ff}; /* d = -121665/121666 */
static const fe FE_D2 = {0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977,
                         0x2406d9dc56dff}; /* 2d */
static const fe FE_SQRTM1 = {0x61b274a0ea0b0, 0xd5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e,
                             0x2b8324804fc1d}; /* 2^((p-1)/4), a square root of -1 */
static const fe FE_BX = {0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe,
                         0x216936d3cd6e5};
static const fe FE_BY = {0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333,
                         0x6666666666666};
static const fe FE_BT = {0x68ab3a5b7dda3, 0xeea2a5eadbb, 0x2af8df483c27e, 0x332b375274732,
                         0x67875f0fd78b7};

void ge_base(ge_p3 *p) {
  fe_copy(p->X, FE_BX);
  fe_copy(p->Y, FE_BY);
  fe_1(p->Z);
  fe_copy(p->T, FE_BT);
}

void ge_identity(ge_p3 *p) {
  fe_0(p->X);
  fe_1(p->Y);
  fe_1(p->Z);
  fe_0(p->T);
}

bool ge_frombytes(ge_p3 *p, const uint8_t s[32]) {
  if (!fe_bytes_canonical(s))
    return false;
  int sign = s[31] >> 7;
  fe y, u, v, v3, x, vx2, t;
  fe_frombytes(y, s);
  /* x^2 = u / v with u = y^2 - 1, v = d y^2 + 1 */
  fe_sq(u, y);
  fe_mul(v, u, FE_D);
  fe one;
  fe_1(one);
  fe_sub(u, u, one);
  fe_add(v, v, one);
  /* candidate x = u v^3 (u v^7)^((p-5)/8) */
  fe_sq(v3, v);
  fe_mul(v3, v3, v);
  fe_sq(t, v3);
  fe_mul(t, t, v);
  fe_mul(t, t, u);
  fe_pow22523(t, t);
  fe_mul(t, t, v3);
  fe_mul(x, t, u);
  /* v x^2 = u: x is a root; v x^2 = -u: x sqrt(-1) is; otherwise there is none. */
  fe_sq(vx2, x);
  fe_mul(vx2, vx2, v);
  fe neg_u;
  fe_neg(neg_u, u);
  if (fe_equal(vx2, u)) {
    /* x is a root */
  } else if (fe_equal(vx2, neg_u)) {
    fe_mul(x, x, FE_SQRTM1);
  } else {
    return false;
  }
  if (fe_is_zero(x) && sign)
    return false;
  if (fe_is_odd(x) != sign)
    fe_neg(x, x);
  fe_copy(p->X, x);
  fe_copy(p->Y, y);
  fe_1(p->Z);
  fe_mul(p->T, x, y);
  return true;
}

void ge_tobytes(uint8_t s[32], const ge_p3 *p) {
  fe zinv, x, y;
  fe_invert(zinv, p->Z);
  fe_mul(x, p->X, zinv);
  fe_mul(y, p->Y, zinv);
  fe_tobytes(s, y);
  s[31] |= (uint8_t)(fe_is_odd(x) << 7);
}

void ge_to_cached(ge_cached *c, const ge_p3 *p) {
  fe_sub(c->YminusX, p->Y, p->X);
  fe_add(c->YplusX, p->Y, p->X);
  fe_mul(c->T2d, p->T, FE_D2);
  fe_add(c->Z2, p->Z, p->Z);
}

/* RFC 8032 §5.1.4 addition: A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2), C = T1 2d T2, D = Z1 2 Z2,
 * E = B-A, F = D-C, G = D+C, H = B+A. */
void ge_add(ge_done *r, const ge_p3 *p, const ge_cached *q) {
  fe a, b, c, d, t;
  fe_sub(t, p->Y, p->X);
  fe_mul(a, t, q->YminusX);
  fe_add(t, p->Y, p->X);
  fe_mul(b, t, q->YplusX);
  fe_mul(c, p->T, q->T2d);
  fe_mul(d, p->Z, q->Z2);
  fe_sub(r->E, b, a);
  fe_sub(r->F, d, c);
  fe_add(r->G, d, c);
  fe_add(r->H, b, a);
}

/* p + (-q) with -q = (-X2, Y2, Z2, -T2): Y2-X2 and Y2+X2 swap places and C changes sign. */
void ge_sub(ge_done *r, const ge_p3 *p, const ge_cached *q) {
  fe a, b, c, d, t;
  fe_sub(t, p->Y, p->X);
  fe_mul(a, t, q->YplusX);
  fe_add(t, p->Y, p->X);
  fe_mul(b, t, q->YminusX);
  fe_mul(c, p->T, q->T2d);
  fe_mul(d, p->Z, q->Z2);
  fe_sub(r->E, b, a);
  fe_add(r->F, d, c);
  fe_sub(r->G, d, c);
  fe_add(r->H, b, a);
}

/* RFC 8032 §5.1.4 doubling: A = X1^2, B = Y1^2, C = 2 Z1^2, H = A+B, E = H-(X1+Y1)^2, G = A-B,
 * F = C+G. */
void ge_dbl(ge_done *r, const ge_p3 *p) {
  fe a, b, c, t;
  fe_sq(a, p->X);
  fe_sq(b, p->Y);
  fe_sq(c, p->Z);
  fe_add(c, c, c);
  fe_add(r->H, a, b);
  fe_add(t, p->X, p->Y);
  fe_sq(t, t);
  fe_sub(r->E, r->H, t);
  fe_sub(r->G, a, b);
  fe_add(r->F, c, r->G);
}

/* X3 = E F, Y3 = G H, T3 = E H, Z3 = F G */
void ge_done_to_p3(ge_p3 *p, const ge_done *r) {
  fe_mul(p->X, r->E, r->F);
  fe_mul(p->Y, r->G, r->H);
  fe_mul(p->Z, r->F, r->G);
  fe_mul(p->T, r->E, r->H);
}

void ge_done_to_p2(ge_p3 *p, const ge_done *r) {
  fe_mul(p->X, r->E, r->F);
  fe_mul(p->Y, r->G, r->H);
  fe_mul(p->Z, r->F, r->G);
}

bool ge_is_identity(const ge_p3 *p) {
  /* (X:Y:Z) = (0:1:1) projectively: X = 0 and Y = Z (Z is never 0 for a curve point). */
  return fe_is_zero(p->X) && fe_equal(p->Y, p->Z);
}

bool ge_has_small_order(const ge_p3 *p) {
  ge_p3 q = *p;
  ge_done r;
  for (int i = 0; i < 3; i++) {
    ge_dbl(&r, &q);
    ge_done_to_p2(&q, &r);
  }
  return ge_is_identity(&q);
}
