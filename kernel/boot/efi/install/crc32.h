/*
 * CRC-32 as GPT uses it (UEFI 2.10, 5.3.2: "the CRC32 ... using the standard CCITT32 / IEEE 802.3
 * polynomial"): reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF, so
 * crc32_ieee("123456789") == 0xCBF43926, the same value as zlib's crc32(). Used for the GPT
 * header and partition-entry checksums of a new disk layout.
 *
 * Bit at a time, no table: it runs over a few 16 KiB arrays per layout, and has no table to get
 * wrong or to keep in the image.
 */
#ifndef D0_BOOT_EFI_INSTALL_CRC32_H
#define D0_BOOT_EFI_INSTALL_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(const void *data, size_t len);

#endif
