/*
 * Little-endian stores into on-disk structures. GPT and FAT are little-endian whatever the CPU,
 * and their fields sit at unaligned offsets (e.g. BPB_BytsPerSec at byte 11), so fields are
 * written byte by byte rather than through packed structs.
 */
#ifndef D0_BOOT_EFI_INSTALL_LE_H
#define D0_BOOT_EFI_INSTALL_LE_H

#include <stdint.h>

static inline void put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

#endif
