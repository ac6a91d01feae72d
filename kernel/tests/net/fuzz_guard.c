/*
 * libFuzzer target: any bytes as a frame a VM sent, through the bridge's guard
 * (kernel/net/guard.c), then charged to a rate limiter (kernel/net/rate.c) whose configuration
 * and clock also come from the input. Input byte 0 plants the port's MAC, ethertype and
 * addresses so both the ARP and the IPv4 paths are reached; bytes 1..24 are the limiter's
 * configuration and time step; the rest is the frame, copied to a buffer of exactly its size.
 * Invariants beyond "no crash, no sanitizer report": a frame that passes is from the port's MAC,
 * ARP or IPv4, with the port's ARP sender MAC / IPv4 source; a drop names a guard reason; the
 * limiter never admits a frame while in debt, and never refuses when unlimited.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/guard.h"
#include "net/rate.h"

#define HEAD 25

static const struct guard_port PORT = {{0x02, 0, 0, 0, 0, 0x0a}, {10, 20, 0, 10}};

static uint64_t le(const uint8_t *p, int n)
{
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void plant(uint8_t mode, uint8_t *f, uint32_t len)
{
  if (len < 14 || !(mode & 1))
    return;
  memcpy(f + 6, PORT.mac, 6);
  f[12] = 0x08, f[13] = (mode & 2) ? 0x06 : 0x00;
  if ((mode & 2) && (mode & 4) && len >= 42)
    memcpy(f + 22, PORT.mac, 6), memcpy(f + 28, PORT.ip4, 4);
  if (!(mode & 2) && (mode & 4) && len >= 34)
    memcpy(f + 26, PORT.ip4, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < HEAD || size > HEAD + 2048)
    return 0;
  uint32_t len = (uint32_t)(size - HEAD);
  uint8_t *f = malloc(len ? len : 1);
  memcpy(f, data + HEAD, len);
  plant(data[0], f, len);

  enum net_drop why = NET_DROP_COUNT;
  if (guard_check(&PORT, f, len, &why)) {
    bool is_arp = f[13] == 0x06;
    if (len < 14 || memcmp(f + 6, PORT.mac, 6) != 0 || f[12] != 0x08 ||
        (f[13] != 0x00 && !is_arp))
      abort();
    if (is_arp && (len < 42 || memcmp(f + 22, PORT.mac, 6) != 0))
      abort();
    if (!is_arp && (len < 34 || memcmp(f + 26, PORT.ip4, 4) != 0))
      abort();
  } else if (why != NET_DROP_SPOOF && why != NET_DROP_ETHERTYPE && why != NET_DROP_MALFORMED) {
    abort();
  }

  /* The limiter: rates and burst from the input, then the frame charged a few times over a
   * clock that advances by an input-chosen step (up to 2^32 ns) from an input-chosen start. */
  struct rate_cfg cfg = {le(data + 1, 8), (uint32_t)le(data + 9, 4), (uint32_t)le(data + 13, 4)};
  uint64_t now = le(data + 17, 4) << (data[0] >> 3 & 31), step = le(data + 21, 4);
  struct rate_bucket b;
  rate_init(&b, &cfg, now);
  for (int i = 0; i < 8; i++, now += step) {
    bool ready = rate_ready(&b, now);
    bool in_debt = (cfg.bytes_per_s != 0 && b.bytes < 0) || (cfg.packets_per_s != 0 && b.packets < 0);
    if (ready == in_debt || (rate_unlimited(&b) && !ready))
      abort();
    if (b.bytes > b.bytes_cap || b.packets > b.packets_cap)
      abort();
    if (ready)
      rate_take(&b, len);
  }
  free(f);
  return 0;
}
