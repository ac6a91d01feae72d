/*
 * libFuzzer target: any bytes as a frame received on the uplink, for D0's ARP/ICMP code
 * (kernel/dev/net/own_addr.c). Input byte 0 picks the destination MAC (D0's, broadcast, or as
 * given) and whether echo is on, so the fuzzer reaches the ARP and IPv4 paths quickly; the rest is
 * the frame, copied to a buffer of exactly its size. Invariants beyond "no crash, no sanitizer
 * report": a reply is 60..1514 bytes, from D0's MAC, and an echo reply has valid checksums.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/net/own_addr.h"

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1 || size > ETH_MAX_FRAME + 1)
    return 0;
  struct own_addr a;
  struct own_addr_cfg cfg = {.mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
                             .ip = {10, 0, 2, 15}, .prefix = 24, .gw = {10, 0, 2, 2},
                             .echo = data[0] & 4};
  own_addr_init(&a, &cfg);
  uint32_t len = (uint32_t)(size - 1);
  uint8_t *f = malloc(len ? len : 1);
  memcpy(f, data + 1, len);
  if (len >= 6 && (data[0] & 3) == 1)
    memcpy(f, MAC, 6);
  else if (len >= 6 && (data[0] & 3) == 2)
    memset(f, 0xff, 6);
  static uint8_t reply[ETH_MAX_FRAME];
  uint32_t n = 0;
  if (own_addr_input(&a, f, len, reply, &n) == OWN_ADDR_REPLY) {
    if (n < ETH_MIN_FRAME || n > ETH_MAX_FRAME || memcmp(reply + 6, MAC, 6) != 0)
      abort();
    if (reply[12] == 0x08 && reply[13] == 0x00) {
      uint32_t total = (uint32_t)(reply[16] << 8 | reply[17]);
      if (total < 28 || 14 + total > n || pkt_csum(reply + 14, 20) != 0 ||
          pkt_csum(reply + 34, total - 20) != 0)
        abort();
    }
  }
  free(f);
  return 0;
}
