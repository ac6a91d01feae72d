/*
 * SHA-256 and SHA-512 (FIPS 180-4), incremental and one-shot.
 *
 * SHA-256 checks disk-image and guest-kernel digests (streamed: update() takes any chunk size,
 * any number of times, up to 2^61-1 bytes in total). SHA-512 is the hash inside Ed25519.
 * A context is plain data: copy it to fork a hash, memset it to wipe it. final() leaves the
 * context unusable until the next init().
 */
#ifndef D0_SHA2_H
#define D0_SHA2_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64
#define SHA512_DIGEST_LEN 64
#define SHA512_BLOCK_LEN 128

struct sha256_ctx {
  uint32_t state[8];
  uint64_t total_len; /* bytes hashed so far */
  uint8_t block[SHA256_BLOCK_LEN];
  size_t block_len; /* bytes buffered in block, < SHA256_BLOCK_LEN */
};

struct sha512_ctx {
  uint64_t state[8];
  uint64_t total_len; /* bytes; messages are < 2^61 bytes so 64 bits suffice */
  uint8_t block[SHA512_BLOCK_LEN];
  size_t block_len;
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

void sha512_init(struct sha512_ctx *ctx);
void sha512_update(struct sha512_ctx *ctx, const void *data, size_t len);
void sha512_final(struct sha512_ctx *ctx, uint8_t out[SHA512_DIGEST_LEN]);
void sha512(const void *data, size_t len, uint8_t out[SHA512_DIGEST_LEN]);

#endif /* D0_SHA2_H */
