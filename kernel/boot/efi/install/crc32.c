/* CRC-32 (IEEE 802.3, reflected); contract in crc32.h. */
#include "install/crc32.h"

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define CRC32_INIT 0xFFFFFFFFu
#define CRC32_XOROUT 0xFFFFFFFFu

uint32_t crc32_ieee(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t crc = CRC32_INIT;
  for (size_t i = 0; i < len; i++) {
    crc ^= p[i];
    for (int bit = 0; bit < 8; bit++)
      crc = (crc >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (crc & 1u)));
  }
  return crc ^ CRC32_XOROUT;
}
