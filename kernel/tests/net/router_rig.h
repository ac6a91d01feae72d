/*
 * The router tests' rig (test_router.c, test_router_edges.c): one router with two containers and
 * an uplink, its outputs captured in `out`, inputs fed from exact-size heap copies (ASan sees any
 * read past a frame), and the frames of a container or of the remote end built by frames.c.
 */
#ifndef D0_TESTS_NET_ROUTER_RIG_H
#define D0_TESTS_NET_ROUTER_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "frames.h"
#include "net/router.h"

static const uint8_t BRIDGE_MAC[6] = D0_BRIDGE_MAC;
static const uint8_t BRIDGE_IP[4] = {10, 20, 0, 1};
static const uint8_t UP_MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t UP_IP[4] = {192, 0, 2, 10};
static const uint8_t GW_MAC[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
static const uint8_t C0_MAC[6] = {0x02, 0, 0, 0, 0, 0x10}, C1_MAC[6] = {0x02, 0, 0, 0, 0, 0x11};
static const uint8_t C0_IP[4] = {10, 20, 0, 2}, C1_IP[4] = {10, 20, 0, 3};
static const uint8_t REMOTE[4] = {198, 51, 100, 7}, HOP[4] = {203, 0, 113, 1};
static const uint8_t DNS[4] = {203, 0, 113, 53};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define S CT_SECOND

/* What the router sent. */
struct out {
  uint32_t n;        /* frames sent since reset */
  bool uplink;       /* the last one's way */
  uint32_t port;
  uint8_t f[ETH_MAX_FRAME];
  uint32_t len;
};
extern struct out out;
extern struct router r;
extern struct net_counters cnt[2], up_cnt;

/* The configuration of most tests (a static: it is large), fresh on each call. */
struct router_cfg *base_cfg(void);
/* Fresh outputs and counters, the router set up with c and the gateway's MAC known. */
void setup_cfg(const struct router_cfg *c);
void setup(void);
/* The inputs, each on a heap copy of exactly len bytes; the input is checked unmodified. */
void from_bridge(uint32_t port, const uint8_t *f, uint32_t len, uint64_t now);
void from_uplink(const uint8_t *f, uint32_t len, uint64_t now);
/* Every drop counted in c, whatever the reason. */
uint64_t drops(const struct net_counters *c);
/* The source port / ICMP id of the last frame out. */
uint16_t out_sport(void);
uint16_t out_icmp_id(void);
/* A frame from container c (0/1) to D0's MAC; from the remote to D0's uplink. */
struct tf_spec from_c(int c, const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport);
struct tf_spec from_remote(const uint8_t *src, uint8_t proto, uint16_t sport, uint16_t dport);

/* The last frame out is exactly want[0..len), by way of port (or the uplink). */
#define CHECK_SENT(n_before, way_uplink, to, want, wlen)                         \
  do {                                                                           \
    CHECK_EQ(out.n, (n_before) + 1);                                             \
    CHECK_EQ(out.uplink, way_uplink);                                            \
    if (!(way_uplink))                                                           \
      CHECK_EQ(out.port, to);                                                    \
    CHECK_EQ(out.len, wlen);                                                     \
    CHECK_MSG(out.len == (wlen) && memcmp(out.f, want, wlen) == 0, "frame differs"); \
    CHECK(tf_checksums_ok(out.f, out.len));                                      \
  } while (0)

void run_router_edge_tests(void);

#endif
