/* SHA-512, FIPS 180-4 §6.4 (d0/sha2.h). */
#include "d0/lib.h"
#include "d0/sha2.h"

/* FIPS 180-4 §4.2.3: the first 64 bits of the fractional parts of the cube roots of the first
 * 80 primes. */
static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static inline uint64_t ror64(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static inline void store_be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) ^ ((z) & ((x) ^ (y))))
#define BSIG0(x) (ror64(x, 28) ^ ror64(x, 34) ^ ror64(x, 39))
#define BSIG1(x) (ror64(x, 14) ^ ror64(x, 18) ^ ror64(x, 41))
#define SSIG0(x) (ror64(x, 1) ^ ror64(x, 8) ^ ((x) >> 7))
#define SSIG1(x) (ror64(x, 19) ^ ror64(x, 61) ^ ((x) >> 6))

/* Round t of §6.4.2 step 3 with the working variables renamed instead of shifted (as in
 * sha256.c): eight calls with rotated arguments are eight rounds. */
#define ROUND(a, b, c, d, e, f, g, h, t)                              \
  do {                                                                \
    uint64_t t1 = h + BSIG1(e) + CH(e, f, g) + K512[t] + w[(t) & 15]; \
    d += t1;                                                          \
    h = t1 + BSIG0(a) + MAJ(a, b, c);                                 \
  } while (0)

/* W_t for t >= 16 (§6.4.2 step 1), in the 16-word window w. */
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

/* Processes one 128-byte block (§6.4.2). */
static void sha512_block(uint64_t state[8], const uint8_t *block) {
  uint64_t w[16];
  for (int i = 0; i < 16; i++)
    w[i] = load_be64(block + 8 * i);

  uint64_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint64_t e = state[4], f = state[5], g = state[6], h = state[7];
  EIGHT_ROUNDS(0);
  EIGHT_ROUNDS(8);
  for (int t = 16; t < 80; t += 8) {
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

void sha512_init(struct sha512_ctx *ctx) {
  /* §5.3.5 */
  static const uint64_t iv[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL,
                                 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                                 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                                 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
  for (int i = 0; i < 8; i++)
    ctx->state[i] = iv[i];
  ctx->total_len = 0;
  ctx->block_len = 0;
}

void sha512_update(struct sha512_ctx *ctx, const void *data, size_t len) {
  const uint8_t *p = data;
  ctx->total_len += len;
  if (ctx->block_len > 0) {
    size_t n = SHA512_BLOCK_LEN - ctx->block_len;
    if (n > len)
      n = len;
    memcpy(ctx->block + ctx->block_len, p, n);
    ctx->block_len += n;
    p += n;
    len -= n;
    if (ctx->block_len < SHA512_BLOCK_LEN)
      return;
    sha512_block(ctx->state, ctx->block);
    ctx->block_len = 0;
  }
  for (; len >= SHA512_BLOCK_LEN; p += SHA512_BLOCK_LEN, len -= SHA512_BLOCK_LEN)
    sha512_block(ctx->state, p);
  memcpy(ctx->block, p, len);
  ctx->block_len = len;
}

void sha512_final(struct sha512_ctx *ctx, uint8_t out[SHA512_DIGEST_LEN]) {
  /* §5.1.2: a 1 bit, zeros up to 112 mod 128, then the length in bits as a 128-bit big-endian
   * (the high 64 bits hold total_len >> 61). */
  size_t n = ctx->block_len;
  ctx->block[n++] = 0x80;
  if (n > SHA512_BLOCK_LEN - 16) {
    memset(ctx->block + n, 0, SHA512_BLOCK_LEN - n);
    sha512_block(ctx->state, ctx->block);
    n = 0;
  }
  memset(ctx->block + n, 0, SHA512_BLOCK_LEN - 16 - n);
  store_be64(ctx->block + 112, ctx->total_len >> 61);
  store_be64(ctx->block + 120, ctx->total_len << 3);
  sha512_block(ctx->state, ctx->block);
  for (int i = 0; i < 8; i++)
    store_be64(out + 8 * i, ctx->state[i]);
}

void sha512(const void *data, size_t len, uint8_t out[SHA512_DIGEST_LEN]) {
  struct sha512_ctx ctx;
  sha512_init(&ctx);
  sha512_update(&ctx, data, len);
  sha512_final(&ctx, out);
}
