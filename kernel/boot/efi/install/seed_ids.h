/*
 * The identifiers of a new disk layout, derived from a 32-byte seed: each is the start of
 * SHA-256(seed || label) for a label naming what it is ("disk-guid", "part-guid-A", ...). The
 * same seed always gives the same disk (a layout can be reproduced and tested byte for byte),
 * distinct labels give independent values, and a random seed gives GUIDs as unique as random
 * ones. The caller supplies the seed (e.g. from the firmware's RNG), so this code needs none.
 */
#ifndef D0_BOOT_EFI_INSTALL_SEED_IDS_H
#define D0_BOOT_EFI_INSTALL_SEED_IDS_H

#include <stdint.h>

#define SEED_LEN 32
#define GUID_LEN 16

/*
 * A GUID in its on-disk (mixed-endian) byte order, marked as a random GUID (RFC 9562, 4.1-4.2):
 * version 4 in the top nibble of the third field, variant 10b in the top bits of the fourth.
 */
void seed_guid(const uint8_t seed[SEED_LEN], const char *label, uint8_t guid[GUID_LEN]);

/* A 32-bit value (the first four digest bytes, little-endian), e.g. a FAT volume serial. */
uint32_t seed_u32(const uint8_t seed[SEED_LEN], const char *label);

#endif
