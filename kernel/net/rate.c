/* Token buckets in bytes and packets with debt (contract in rate.h). */
#include "net/rate.h"

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull

void rate_init(struct rate_bucket *b, const struct rate_cfg *cfg, uint64_t now_ns)
{
  b->cfg = *cfg;
  /* burst_bytes < 2^32, so the cap is < 2^32 * 1e9 < 2^62: a frame's debt (< 2^62 too) below
   * it still fits an int64, and so does the room (cap - level) refills are measured against. */
  b->bytes_cap = (int64_t)((uint64_t)cfg->burst_bytes * NS_PER_S);
  uint64_t pkts = (uint64_t)cfg->packets_per_s * RATE_PACKET_BURST_MS / 1000u;
  b->packets_cap = (int64_t)((pkts == 0 ? 1 : pkts) * NS_PER_S);
  b->bytes = b->bytes_cap;
  b->packets = b->packets_cap;
  b->last_ns = now_ns;
}

bool rate_unlimited(const struct rate_bucket *b)
{
  return b->cfg.bytes_per_s == 0 && b->cfg.packets_per_s == 0;
}

/* Adds elapsed_ns * rate to *level, up to cap. room = cap - level is what fills the bucket:
 * elapsed_ns > room / rate fills it, and otherwise elapsed_ns * rate <= room cannot overflow. */
static void refill(int64_t *level, int64_t cap, uint64_t rate, uint64_t elapsed_ns)
{
  if (rate == 0 || *level >= cap)
    return;
  uint64_t room = (uint64_t)(cap - *level);
  if (elapsed_ns > room / rate)
    *level = cap;
  else
    *level += (int64_t)(elapsed_ns * rate);
}

bool rate_ready(struct rate_bucket *b, uint64_t now_ns)
{
  if (now_ns > b->last_ns) {
    uint64_t elapsed = now_ns - b->last_ns;
    refill(&b->bytes, b->bytes_cap, b->cfg.bytes_per_s, elapsed);
    refill(&b->packets, b->packets_cap, b->cfg.packets_per_s, elapsed);
    b->last_ns = now_ns;
  }
  return (b->cfg.bytes_per_s == 0 || b->bytes >= 0) &&
         (b->cfg.packets_per_s == 0 || b->packets >= 0);
}

void rate_take(struct rate_bucket *b, uint32_t bytes)
{
  /* A level is >= -(one frame) before a take only when the caller asked rate_ready first; a
   * take regardless (a frame already on its way) is clamped so the debt stays bounded. */
  int64_t floor = -(int64_t)(0xffffffffull * NS_PER_S);
  if (b->cfg.bytes_per_s != 0) {
    b->bytes -= (int64_t)((uint64_t)bytes * NS_PER_S);
    if (b->bytes < floor)
      b->bytes = floor;
  }
  if (b->cfg.packets_per_s != 0) {
    b->packets -= (int64_t)NS_PER_S;
    if (b->packets < floor)
      b->packets = floor;
  }
}

bool rate_admit(struct rate_bucket *b, uint64_t now_ns, uint32_t bytes)
{
  if (!rate_ready(b, now_ns))
    return false;
  rate_take(b, bytes);
  return true;
}
