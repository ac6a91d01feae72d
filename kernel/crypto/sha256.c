/* SHA-256, FIPS 180-4 §6.2 (d0/sha2.h). */
#include "d0/lib.h"
#include "d0/sha2.h"

/* FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t load_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) ^ ((z) & ((x) ^ (y))))
#define BSIG0(x) (ror32(x, 2) ^ ror32(x, 13) ^ ror32(x, 22))
#define BSIG1(x) (ror32(x, 6) ^ ror32(x, 11) ^ ror32(x, 25))
#define SSIG0(x) (ror32(x, 7) ^ ror32(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ror32(x, 17) ^ ror32(x, 19) ^ ((x) >> 10))

/* Round t of §6.2.2 step 3 with the working variables renamed instead of shifted: after a
 * round, d holds the new e and h the new a, so eight calls with rotated arguments are eight
 * rounds. */
#define ROUND(a, b, c, d, e, f, g, h, t)                              \
  do {                                                                \
    uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K256[t] + w[(t) & 15]; \
    d += t1;                                                          \
    h = t1 + BSIG0(a) + MAJ(a, b, c);                                 \
  } while (0)

/* W_t for t >= 16 (§6.2.2 step 1), in the 16-word window w. */
#define SCHEDULE(t) \
  (w[(t) & 15] += SSIG1(w[((t) - 2) & 15]) + w[((t) - 7) & 15] + SSIG0(w[((t) - 15) & 15]))

#define EIGHT_ROUNDS(t)                       \
  do {                                        \
    ROUND(a, b, c, d, e, f, g, h, (t) + 0);   \
    ROUND(h, a, b, c, d, e, f, g, (t) + 1);   \
    ROUND(g, h, a, b, c, d, e, f, (t) + 2);   \
    ROUND(f, g, h, a, b, c, d, e, (t) + 3);   \
    ROUND(e, f, g, h, a, b, c, d, (t) + 4);   \
    ROUND(d, e, f, g, h, a, b, c, (t) + 5);   \
    ROUND(c, d, e, f, g, h, a, b, (t) + 6);   \
    ROUND(b, c, d, e, f, g, h, a, (t) + 7);   \
  } while (0)

/* Processes one 64-byte block (§6.2.2). */
static void sha256_block(uint32_t state[8], const uint8_t *block) {
  uint32_t w[16];
  for (int i = 0; i < 16; i++)
    w[i] = load_be32(block + 4 * i);

  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  EIGHT_ROUNDS(0);
  EIGHT_ROUNDS(8);
  for (int t = 16; t < 64; t += 8) {
    for (int i = 0; i < 8; i++)
      SCHEDULE(t + i);
    EIGHT_ROUNDS(t);
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

void sha256_init(struct sha256_ctx *ctx) {
  /* §5.3.3 */
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (int i = 0; i < 8; i++)
    ctx->state[i] = iv[i];
  ctx->total_len = 0;
  ctx->block_len = 0;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len) {
  const uint8_t *p = data;
  ctx->total_len += len;
  if (ctx->block_len > 0) {
    size_t n = SHA256_BLOCK_LEN - ctx->block_len;
    if (n > len)
      n = len;
    memcpy(ctx->block + ctx->block_len, p, n);
    ctx->block_len += n;
    p += n;
    len -= n;
    if (ctx->block_len < SHA256_BLOCK_LEN)
      return;
    sha256_block(ctx->state, ctx->block);
    ctx->block_len = 0;
  }
  for (; len >= SHA256_BLOCK_LEN; p += SHA256_BLOCK_LEN, len -= SHA256_BLOCK_LEN)
    sha256_block(ctx->state, p);
  memcpy(ctx->block, p, len);
  ctx->block_len = len;
}

void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]) {
  /* §5.1.1: a 1 bit, zeros up to 56 mod 64, then the length in bits as a 64-bit big-endian. */
  uint64_t bits = ctx->total_len << 3;
  size_t n = ctx->block_len;
  ctx->block[n++] = 0x80;
  if (n > SHA256_BLOCK_LEN - 8) {
    memset(ctx->block + n, 0, SHA256_BLOCK_LEN - n);
    sha256_block(ctx->state, ctx->block);
    n = 0;
  }
  memset(ctx->block + n, 0, SHA256_BLOCK_LEN - 8 - n);
  store_be32(ctx->block + 56, (uint32_t)(bits >> 32));
  store_be32(ctx->block + 60, (uint32_t)bits);
  sha256_block(ctx->state, ctx->block);
  for (int i = 0; i < 8; i++)
    store_be32(out + 4 * i, ctx->state[i]);
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]) {
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, data, len);
  sha256_final(&ctx, out);
}
