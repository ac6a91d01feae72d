/* Identifiers derived from a seed with SHA-256; contract in seed_ids.h. */
#include "install/seed_ids.h"

#include "d0/lib.h"
#include "d0/sha2.h"

/*
 * A GUID's third field (Data3, a little-endian uint16 at bytes 6..7) carries the version in its
 * top nibble, so in the on-disk order that nibble is the top of byte 7. Byte 8 (Data4[0]) is
 * stored as is and carries the variant in its top two bits.
 */
#define GUID_VERSION_BYTE 7
#define GUID_VERSION_MASK 0x0Fu
#define GUID_VERSION_4 0x40u
#define GUID_VARIANT_BYTE 8
#define GUID_VARIANT_MASK 0x3Fu
#define GUID_VARIANT_RFC 0x80u

static void seed_digest(const uint8_t seed[SEED_LEN], const char *label,
                        uint8_t out[SHA256_DIGEST_LEN]) {
  struct sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, seed, SEED_LEN);
  sha256_update(&c, label, strlen(label));
  sha256_final(&c, out);
}

void seed_guid(const uint8_t seed[SEED_LEN], const char *label, uint8_t guid[GUID_LEN]) {
  uint8_t d[SHA256_DIGEST_LEN];
  seed_digest(seed, label, d);
  memcpy(guid, d, GUID_LEN);
  uint8_t *ver = &guid[GUID_VERSION_BYTE], *var = &guid[GUID_VARIANT_BYTE];
  *ver = (uint8_t)((*ver & GUID_VERSION_MASK) | GUID_VERSION_4);
  *var = (uint8_t)((*var & GUID_VARIANT_MASK) | GUID_VARIANT_RFC);
}

uint32_t seed_u32(const uint8_t seed[SEED_LEN], const char *label) {
  uint8_t d[SHA256_DIGEST_LEN];
  seed_digest(seed, label, d);
  return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}
