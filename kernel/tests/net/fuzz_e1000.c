/*
 * libFuzzer target: the e1000 driver's receive path (kernel/dev/net/e1000.c poll_rx) against a
 * NIC that writes anything into its receive descriptors. The registers are simulated
 * (e1000_sim.h). Input: records of 8 bytes [slot][len lo][len hi][status][errors][budget][flags]
 * [tag]: the NIC completes descriptor slot (mod the ring size) as given (flags bit 0: and
 * clobbers its buffer address), then the driver polls with the budget. Invariants beyond "no
 * crash, no sanitizer report": every frame handed over is one of the driver's own buffers, 14..1514
 * bytes, counted; the cursor stays in the ring; each descriptor the driver took back has its own
 * buffer address and a clear status.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e1000_sim.h"

static struct uplink u;
static uint8_t *bufs[64];
static uint32_t ring_n, handed_seen;

static void on_rx(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  bool inside = false;
  for (uint32_t k = 0; k < ring_n; k++)
    inside = inside || frame == bufs[k];
  if (!inside || len < 14 || len > 1514)
    abort();
  (void)frame[len - 1];
  handed_seen++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint8_t *mem;
  static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  if (mem == NULL)
    mem = malloc(E1000_MEM_BYTES);
  memset(&u, 0, sizeof u);
  e1000_sim_reset(mac);
  u.mmio = (volatile uint8_t *)e1000_sim.regs;
  u.mem = (struct uplink_mem){mem, E1000_MEM_BYTES};
  if (E1000_OPS.start(&u) != 0)
    abort();
  struct sim_rx_desc *ring = e1000_sim_rx_ring(&ring_n);
  if (ring == NULL || ring_n == 0 || ring_n > 64)
    abort();
  for (uint32_t i = 0; i < ring_n; i++)
    bufs[i] = (uint8_t *)(uintptr_t)ring[i].addr;
  handed_seen = 0;
  uint64_t frames_before = 0;
  for (size_t at = 0; at + 8 <= size; at += 8) {
    const uint8_t *r = data + at;
    uint32_t i = r[0] % ring_n;
    uint16_t len = (uint16_t)(r[1] | r[2] << 8);
    memset(bufs[i], r[7], 2048);
    ring[i].len = len, ring[i].status = r[3], ring[i].errors = r[4];
    if (r[6] & 1)
      ring[i].addr = 0x4141414141414141ull;
    uint32_t start = u.rx_next;
    uint32_t handed = E1000_OPS.poll_rx(&u, r[5] % 40, on_rx, NULL);
    if (u.rx_next >= ring_n || handed_seen - frames_before != handed ||
        u.stats.rx_frames != handed_seen)
      abort();
    frames_before = handed_seen;
    /* Every slot from start to the new cursor was taken back: clean and with its own buffer. */
    for (uint32_t k = start; k != u.rx_next; k = (k + 1) % ring_n)
      if (ring[k].status != 0 || ring[k].addr != (uint64_t)(uintptr_t)bufs[k])
        abort();
  }
  return 0;
}
