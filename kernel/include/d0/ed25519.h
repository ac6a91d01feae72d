/*
 * Ed25519 signature verification (RFC 8032 §5.1.7, pure Ed25519: no context, no prehash).
 *
 * Returns 0 if sig is a valid signature of msg[0..msg_len) under the public key pub, -1 otherwise.
 * Strict: rejected are
 *  - S >= L (non-canonical scalar, §5.1.7 step 1 / §5.1.6),
 *  - encodings of A or R with y >= p, or x = 0 with the sign bit set (non-canonical, §5.1.3),
 *  - encodings of A or R that are not on the curve (§5.1.3 step 3: no square root),
 *  - A or R of small order (8P = identity): see kernel/crypto/ed25519_verify.c for why,
 *  - signatures failing the cofactored group equation [8][S]B = [8]R + [8][k]A (§5.1.7 step 3).
 * Verification uses public data only; the arithmetic is branch-free anyway where that is free.
 * No allocation; stack use stays below 4 KiB per frame.
 */
#ifndef D0_ED25519_H
#define D0_ED25519_H

#include <stddef.h>
#include <stdint.h>

#define ED25519_SIG_LEN 64
#define ED25519_PUBLIC_KEY_LEN 32

int ed25519_verify(const uint8_t sig[ED25519_SIG_LEN], const uint8_t *msg, size_t msg_len,
                   const uint8_t pub[ED25519_PUBLIC_KEY_LEN]);

#endif /* D0_ED25519_H */
