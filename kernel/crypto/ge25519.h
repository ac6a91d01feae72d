/*
 * The Ed25519 group: points of the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over
 * GF(2^255-19) (RFC 8032 §5.1), internal to kernel/crypto.
 *
 * Representations (RFC 8032 §5.1.4, after Hisil-Wong-Carter-Dawson 2008):
 *   ge_p3:     extended (X:Y:Z:T), x = X/Z, y = Y/Z, x y = T/Z.
 *   ge_cached: a point prepared as an addend: (Y-X, Y+X, 2dT, 2Z).
 *   ge_done:   the E, F, G, H of the RFC formulas, before the final four products; converting
 *              to ge_p3 costs 4 multiplications, and 3 when T is not needed (a doubling next).
 * The addition formulas are complete on this curve (d is not a square): they are also correct
 * for doubling and for the identity, so there are no exceptional cases to branch on.
 */
#ifndef D0_CRYPTO_GE25519_H
#define D0_CRYPTO_GE25519_H

#include <stdbool.h>
#include <stdint.h>

#include "fe25519.h"

typedef struct {
  fe X, Y, Z, T;
} ge_p3;

typedef struct {
  fe YminusX, YplusX, T2d, Z2;
} ge_cached;

typedef struct {
  fe E, F, G, H;
} ge_done;

/* The base point B of RFC 8032 §5.1 (y = 4/5, x even). */
void ge_base(ge_p3 *p);
void ge_identity(ge_p3 *p);

/*
 * Decodes a point per RFC 8032 §5.1.3, strictly: returns false if y >= p (non-canonical), if
 * x^2 = (y^2-1)/(d y^2+1) has no square root (not on the curve), or if x = 0 while the sign
 * bit is 1 (the non-canonical "-0").
 */
bool ge_frombytes(ge_p3 *p, const uint8_t s[32]);

/* Encodes per RFC 8032 §5.1.2 (one inversion). */
void ge_tobytes(uint8_t s[32], const ge_p3 *p);

void ge_to_cached(ge_cached *c, const ge_p3 *p);

/* r = p + q and r = p - q. */
void ge_add(ge_done *r, const ge_p3 *p, const ge_cached *q);
void ge_sub(ge_done *r, const ge_p3 *p, const ge_cached *q);

/* r = 2p; reads only X, Y, Z of p. */
void ge_dbl(ge_done *r, const ge_p3 *p);

/* Completes r into p: all four coordinates, or X, Y, Z only (T left stale) when the next
 * operation is a doubling. */
void ge_done_to_p3(ge_p3 *p, const ge_done *r);
void ge_done_to_p2(ge_p3 *p, const ge_done *r);

/* true iff p is the identity (0, 1). */
bool ge_is_identity(const ge_p3 *p);

/* true iff 8p is the identity, i.e. p lies in the torsion subgroup of order 8. */
bool ge_has_small_order(const ge_p3 *p);

#endif /* D0_CRYPTO_GE25519_H */
