/*
 * A rate limit in integer arithmetic: two token buckets, one in bytes and one in packets, that a
 * frame must both find out of debt. Semantics (so an average rate comes out exact whatever the
 * frame sizes): a frame may go when neither bucket is in debt; its size (and one packet) is then
 * taken, which may put a bucket into debt by at most that one frame. Tokens come back at the
 * configured rate up to the burst. A dimension whose rate is 0 is unlimited.
 *
 * Levels are kept in units of 1e-9 token (a rate in tokens/s times nanoseconds), so refills are
 * exact. Nothing overflows for any rate a u64/u32 holds (100 Gbit/s is 1.25e10 bytes/s), any
 * burst a u32 holds, any frame size a u32 holds, and any gap between calls (hours, or 2^64 ns):
 * a refill larger than what fills the bucket is never multiplied out. Time is the caller's
 * (arch_time_ns); time going backwards refills nothing.
 */
#ifndef D0_NET_RATE_H
#define D0_NET_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* One direction's limit, as the manifest gives it (0 in a dimension = unlimited in it). */
struct rate_cfg {
  uint64_t bytes_per_s;
  uint32_t packets_per_s;
  uint32_t burst_bytes; /* bytes that may go at once after an idle period (0: one frame) */
};

/* The packet bucket holds this much time of packets_per_s (at least one packet): the manifest
 * gives a burst in bytes only. */
#define RATE_PACKET_BURST_MS 100u

struct rate_bucket {
  struct rate_cfg cfg;
  int64_t bytes, packets;       /* levels in 1e-9 token; negative = in debt */
  int64_t bytes_cap, packets_cap;
  uint64_t last_ns;             /* when the levels were last brought up to date */
};

/* A full bucket at now_ns. */
void rate_init(struct rate_bucket *b, const struct rate_cfg *cfg, uint64_t now_ns);

/* true when both dimensions are unlimited. */
bool rate_unlimited(const struct rate_bucket *b);

/* Refills up to now_ns; true when a frame may go (no limited dimension in debt). */
bool rate_ready(struct rate_bucket *b, uint64_t now_ns);

/* Takes one frame of `bytes` (after rate_ready said yes, or regardless: a frame already sent). */
void rate_take(struct rate_bucket *b, uint32_t bytes);

/* rate_ready then rate_take: true when the frame may go (and was charged). */
bool rate_admit(struct rate_bucket *b, uint64_t now_ns, uint32_t bytes);

#endif /* D0_NET_RATE_H */
