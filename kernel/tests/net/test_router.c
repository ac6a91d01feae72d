/*
 * Host tests of D0's router (kernel/net/router.c) under ASan+UBSan. Each forwarded frame is
 * compared byte for byte with the frame built from scratch (every checksum recomputed by
 * frames.c) that should have come out: TCP through SNAT and back, UDP (with and without a
 * checksum), ICMP echo, a published port's whole TCP life and expiry, ICMP error translation.
 * Then the drops: policy, fragments, TTL, scans of unpublished ports, every truncation of every
 * kind of frame at both inputs, and connection tracking full with two containers.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "net/router.h"
#include "tests.h"

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
static struct out out;
static struct router r;
static struct net_counters cnt[2], up_cnt;

static void to_port(void *ctx, uint32_t port, const uint8_t *f, uint32_t len)
{
  CHECK(ctx == &out);
  out.n++, out.uplink = false, out.port = port, out.len = len;
  memcpy(out.f, f, len);
}

static void to_uplink(void *ctx, const uint8_t *f, uint32_t len)
{
  CHECK(ctx == &out);
  out.n++, out.uplink = true, out.len = len;
  memcpy(out.f, f, len);
}

/* The configuration of most tests, in a static (it is large): fresh each call. */
static struct router_cfg cfg;
static struct router_cfg *base_cfg(void)
{
  cfg = (struct router_cfg){.bridge_mac = D0_BRIDGE_MAC, .bridge_ip = {10, 20, 0, 1}, .bridge_prefix = 24,
                         .egress_nat = true, .uplink = true, .n_containers = 2, .seed = 77,
                         .to_port = to_port, .to_uplink = to_uplink, .ctx = &out,
                         .uplink_counters = &up_cnt};
  struct router_cfg *c = &cfg;
  memcpy(c->uplink_mac, UP_MAC, 6);
  memcpy(c->uplink_ip, UP_IP, 4);
  struct router_container *c0 = &c->containers[0], *c1 = &c->containers[1];
  c0->port = 0, c1->port = 1;
  memcpy(c0->mac, C0_MAC, 6), memcpy(c1->mac, C1_MAC, 6);
  memcpy(c0->ip, C0_IP, 4), memcpy(c1->ip, C1_IP, 4);
  c0->counters = &cnt[0], c1->counters = &cnt[1];
  c0->n_publish = 2;
  c0->publish[0] = (struct router_publish){IP_PROTO_TCP, 8080, 80};
  c0->publish[1] = (struct router_publish){IP_PROTO_UDP, 5353, 53};
  /* c1 may reach 198.51.100.0/24 on TCP 443, anything by ICMP, DNS at 203.0.113.53. */
  c1->egress.restricted = true;
  c1->egress.n_rules = 3;
  c1->egress.rules[0] = (struct policy_rule){{198, 51, 100, 0}, 24, IP_PROTO_TCP, 443, 443};
  c1->egress.rules[1] = (struct policy_rule){{0, 0, 0, 0}, 0, IP_PROTO_ICMP, 0, 0};
  c1->egress.rules[2] = (struct policy_rule){{203, 0, 113, 53}, 32, IP_PROTO_UDP, 53, 53};
  return c;
}

static void setup_cfg(const struct router_cfg *c)
{
  memset(&out, 0, sizeof out);
  memset(cnt, 0, sizeof cnt);
  memset(&up_cnt, 0, sizeof up_cnt);
  CHECK(router_init(&r, c) == NULL);
  router_set_gw_mac(&r, GW_MAC);
}

static void setup(void)
{
  struct router_cfg *c = base_cfg();
  setup_cfg(c);
}

/* The inputs on a heap copy of exactly len bytes (ASan: nothing read beyond). */
static void from_bridge(uint32_t port, const uint8_t *f, uint32_t len, uint64_t now)
{
  uint8_t *c = malloc(len ? len : 1);
  memcpy(c, f, len);
  router_from_bridge(&r, port, c, len, now);
  CHECK(memcmp(c, f, len) == 0); /* the input is not modified */
  free(c);
}

static void from_uplink(const uint8_t *f, uint32_t len, uint64_t now)
{
  uint8_t *c = malloc(len ? len : 1);
  memcpy(c, f, len);
  router_from_uplink(&r, c, len, now);
  CHECK(memcmp(c, f, len) == 0);
  free(c);
}

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

static uint64_t drops(const struct net_counters *c)
{
  uint64_t n = 0;
  for (int i = 0; i < NET_DROP_COUNT; i++)
    n += c->drop[i];
  return n;
}

static uint16_t out_sport(void) { return tf_be16(out.f + 14 + (out.f[14] & 0xf) * 4); }
static uint16_t out_icmp_id(void) { return tf_be16(out.f + 14 + (out.f[14] & 0xf) * 4 + 4); }

/* A frame from container c (0/1) to D0's MAC; from the remote to D0's uplink. */
static struct tf_spec from_c(int c, const uint8_t *dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
  struct tf_spec s = {.dmac = BRIDGE_MAC, .smac = c ? C1_MAC : C0_MAC, .src = c ? C1_IP : C0_IP,
                      .dst = dst, .proto = proto, .sport = sport, .dport = dport,
                      .icmp_type = ICMP_ECHO_REQUEST};
  return s;
}
static struct tf_spec from_remote(const uint8_t *src, uint8_t proto, uint16_t sport, uint16_t dport)
{
  struct tf_spec s = {.dmac = UP_MAC, .smac = GW_MAC, .src = src, .dst = UP_IP, .proto = proto,
                      .sport = sport, .dport = dport, .icmp_type = ICMP_ECHO_REPLY};
  return s;
}

static void test_config_checks(void)
{
  struct router_cfg *c = base_cfg();
  CHECK(router_init(&r, c) == NULL);
  c->containers[1].mac[5] = 0x01, memcpy(c->containers[1].mac, BRIDGE_MAC, 6);
  CHECK(router_init(&r, c) != NULL); /* a container with D0's bridge MAC */
  c = base_cfg();
  c->containers[1].ip[3] = 1;
  CHECK(router_init(&r, c) != NULL); /* the gateway's address */
  c = base_cfg();
  c->containers[1].ip[2] = 9;
  CHECK(router_init(&r, c) != NULL); /* outside the bridge subnet */
  c = base_cfg();
  c->containers[1].n_publish = 1;
  c->containers[1].publish[0] = (struct router_publish){IP_PROTO_TCP, 8080, 22};
  CHECK(router_init(&r, c) != NULL); /* an uplink port published twice */
  c->containers[1].publish[0].proto = IP_PROTO_UDP;
  CHECK(router_init(&r, c) == NULL); /* same number, other protocol: fine */
  c->containers[1].publish[0].proto = IP_PROTO_ICMP;
  CHECK(router_init(&r, c) != NULL);
  c = base_cfg();
  c->containers[1].port = 0;
  CHECK(router_init(&r, c) != NULL);
  c = base_cfg();
  c->n_containers = ROUTER_MAX_CONTAINERS + 1;
  CHECK(router_init(&r, c) != NULL);
  c = base_cfg();
  c->containers[0].egress.n_rules = POLICY_MAX_RULES + 1;
  CHECK(router_init(&r, c) != NULL);
  c = base_cfg();
  c->to_uplink = NULL;
  CHECK(router_init(&r, c) != NULL);
}

static void test_arp_and_echo(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], want[ETH_MAX_FRAME];
  /* An ARP request for the gateway (broadcast) is answered to the asker. */
  memset(f, 0, 60);
  memcpy(f, BCAST, 6), memcpy(f + 6, C0_MAC, 6);
  tf_put16(f + 12, ETHERTYPE_ARP);
  tf_put16(f + 14, 1), tf_put16(f + 16, ETHERTYPE_IPV4), f[18] = 6, f[19] = 4, tf_put16(f + 20, 1);
  memcpy(f + 22, C0_MAC, 6), memcpy(f + 28, C0_IP, 4), memcpy(f + 38, BRIDGE_IP, 4);
  from_bridge(0, f, 42, 0);
  memset(want, 0, 60);
  memcpy(want, C0_MAC, 6), memcpy(want + 6, BRIDGE_MAC, 6);
  memcpy(want + 12, f + 12, 8);
  tf_put16(want + 20, 2);
  memcpy(want + 22, BRIDGE_MAC, 6), memcpy(want + 28, BRIDGE_IP, 4);
  memcpy(want + 32, C0_MAC, 6), memcpy(want + 38, C0_IP, 4);
  CHECK_EQ(out.n, 1);
  CHECK(!out.uplink && out.port == 0 && out.len == 60 && memcmp(out.f, want, 60) == 0);
  CHECK_EQ(r.stats.arp_replies, 1);
  /* Unicast to D0's MAC too; a request for another address is not D0's. */
  memcpy(f, BRIDGE_MAC, 6);
  from_bridge(0, f, 60, 0);
  CHECK_EQ(out.n, 2);
  memcpy(f + 38, C1_IP, 4);
  from_bridge(0, f, 60, 0);
  CHECK_EQ(out.n, 2);
  /* An ARP reply to D0 (it asks nothing on the bridge) is ignored. */
  memcpy(f + 38, BRIDGE_IP, 4), tf_put16(f + 20, 2);
  from_bridge(0, f, 60, 0);
  CHECK_EQ(out.n, 2);
  CHECK_EQ(drops(&cnt[0]), 0);

  /* Echo to the gateway, with IP options: answered without them. */
  struct tf_spec s = from_c(0, BRIDGE_IP, IP_PROTO_ICMP, 0x77, 0);
  s.opt_words = 2, s.payload_len = 33;
  uint32_t len = tf_build(f, &s);
  from_bridge(0, f, len, 0);
  struct tf_spec w = {.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = BRIDGE_IP, .dst = C0_IP,
                      .proto = IP_PROTO_ICMP, .sport = 0x77, .icmp_type = ICMP_ECHO_REPLY,
                      .payload_len = 33};
  uint32_t wlen = tf_build(want, &w);
  tf_put16(want + 18, 0x4242); /* the request's IP id is kept: already so in tf_build */
  CHECK_SENT(2, false, 0, want, wlen);
  CHECK_EQ(r.stats.echo_replies, 1);
  /* Nothing else to the gateway is answered: UDP, TCP, an echo reply. */
  s = from_c(0, BRIDGE_IP, IP_PROTO_UDP, 1, 53);
  from_bridge(0, f, tf_build(f, &s), 0);
  s = from_c(0, BRIDGE_IP, IP_PROTO_TCP, 1, 22);
  s.tcp_flags = TCP_SYN;
  from_bridge(0, f, tf_build(f, &s), 0);
  s = from_c(0, BRIDGE_IP, IP_PROTO_ICMP, 1, 0);
  s.icmp_type = ICMP_ECHO_REPLY;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 3);
  /* Broadcast IPv4 (e.g. DHCP) is the bridge's to flood, not D0's: ignored, not counted. */
  s = from_c(0, (const uint8_t[]){255, 255, 255, 255}, IP_PROTO_UDP, 68, 67);
  s.dmac = BCAST;
  from_bridge(0, f, tf_build(f, &s), 0);
  /* Another container's source address from c0's port (the bridge should have caught it). */
  s = from_c(1, REMOTE, IP_PROTO_UDP, 1, 2);
  s.smac = C0_MAC;
  from_bridge(0, f, tf_build(f, &s), 0);
  s.dst = BRIDGE_IP;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_SPOOF], 2);
  cnt[0].drop[NET_DROP_SPOOF] = 0;
  /* A frame from a port no container has: ignored. */
  s = from_c(0, REMOTE, IP_PROTO_UDP, 1, 2);
  from_bridge(7, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 3);
  CHECK_EQ(drops(&cnt[0]), 0);
}

static void test_tcp_snat(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], want[ETH_MAX_FRAME];
  /* SYN out. */
  struct tf_spec s = from_c(0, REMOTE, IP_PROTO_TCP, 41000, 443);
  s.tcp_flags = TCP_SYN, s.payload_len = 0;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 1);
  uint16_t port = out_sport();
  CHECK(port >= CT_PORT_LO && port <= CT_PORT_HI);
  struct tf_spec w = {.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = REMOTE, .proto = IP_PROTO_TCP,
                      .ttl = 63, .sport = port, .dport = 443, .tcp_flags = TCP_SYN};
  uint32_t wlen = tf_build(want, &w);
  CHECK_SENT(0, true, 0, want, wlen);
  CHECK_EQ(router_nat_in_use(&r), 1);
  CHECK_EQ(r.stats.snat_flows, 1);
  /* SYN+ACK back. */
  s = from_remote(REMOTE, IP_PROTO_TCP, 443, port);
  s.tcp_flags = TCP_SYN | TCP_ACK;
  from_uplink(f, tf_build(f, &s), 1);
  w = (struct tf_spec){.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = REMOTE, .dst = C0_IP,
                       .proto = IP_PROTO_TCP, .ttl = 63, .sport = 443, .dport = 41000,
                       .tcp_flags = TCP_SYN | TCP_ACK};
  wlen = tf_build(want, &w);
  CHECK_SENT(1, false, 0, want, wlen);
  /* Data both ways (odd lengths), the same uplink port each time. */
  for (uint32_t i = 0; i < 6; i++) {
    s = from_c(0, REMOTE, IP_PROTO_TCP, 41000, 443);
    s.tcp_flags = TCP_ACK, s.payload_len = 100 * i + 1;
    from_bridge(0, f, tf_build(f, &s), 2);
    w = (struct tf_spec){.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = REMOTE,
                         .proto = IP_PROTO_TCP, .ttl = 63, .sport = port, .dport = 443,
                         .tcp_flags = TCP_ACK, .payload_len = 100 * i + 1};
    wlen = tf_build(want, &w);
    CHECK_SENT(2 + 2 * i, true, 0, want, wlen);
    s = from_remote(REMOTE, IP_PROTO_TCP, 443, port);
    s.tcp_flags = TCP_ACK, s.payload_len = 1400 - i;
    from_uplink(f, tf_build(f, &s), 2);
    w = (struct tf_spec){.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = REMOTE, .dst = C0_IP,
                         .proto = IP_PROTO_TCP, .ttl = 63, .sport = 443, .dport = 41000,
                         .tcp_flags = TCP_ACK, .payload_len = 1400 - i};
    wlen = tf_build(want, &w);
    CHECK_SENT(3 + 2 * i, false, 0, want, wlen);
  }
  struct ct_tuple t = {.proto = IP_PROTO_TCP, .in_ip = {10, 20, 0, 2}, .in_port = 41000,
                       .rem_ip = {198, 51, 100, 7}, .rem_port = 443};
  uint16_t idx = ct_lookup_in(&r.ct, &t, 3);
  CHECK(idx != CT_NONE && r.ct.e[idx].tcp_state == CT_TCP_ESTABLISHED);
  /* Established flows outlive the SYN timeout. */
  router_tick(&r, 1000 * S);
  CHECK_EQ(router_nat_in_use(&r), 1);
  /* FIN both ways; after the closing timeout the flow is gone and a late segment finds nothing. */
  s = from_c(0, REMOTE, IP_PROTO_TCP, 41000, 443);
  s.tcp_flags = TCP_FIN | TCP_ACK;
  from_bridge(0, f, tf_build(f, &s), 1000 * S);
  CHECK_EQ(out.n, 15);
  CHECK(out.uplink);
  s = from_remote(REMOTE, IP_PROTO_TCP, 443, port);
  s.tcp_flags = TCP_FIN | TCP_ACK;
  from_uplink(f, tf_build(f, &s), 1000 * S);
  CHECK_EQ(out.n, 16);
  CHECK_EQ(r.ct.e[idx].tcp_state, CT_TCP_CLOSING);
  router_tick(&r, 1000 * S + CT_TIMEOUT_TCP_CLOSING - 1);
  CHECK_EQ(router_nat_in_use(&r), 1);
  router_tick(&r, 1000 * S + CT_TIMEOUT_TCP_CLOSING);
  CHECK_EQ(router_nat_in_use(&r), 0);
  s.tcp_flags = TCP_ACK;
  from_uplink(f, tf_build(f, &s), 2000 * S);
  CHECK_EQ(out.n, 16);
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 1);
  /* A container's non-SYN segment opens nothing (no flow to resume). */
  s = from_c(0, REMOTE, IP_PROTO_TCP, 41000, 443);
  s.tcp_flags = TCP_ACK;
  from_bridge(0, f, tf_build(f, &s), 2000 * S);
  CHECK_EQ(out.n, 16);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 1);
  CHECK_EQ(router_nat_in_use(&r), 0);
}

static void test_udp_and_icmp_nat(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], want[ETH_MAX_FRAME];
  for (int no_csum = 0; no_csum < 2; no_csum++) {
    uint32_t n0 = out.n;
    struct tf_spec s = from_c(0, DNS, IP_PROTO_UDP, (uint16_t)(5000 + no_csum), 53);
    s.payload_len = 29, s.udp_no_csum = no_csum;
    from_bridge(0, f, tf_build(f, &s), 0);
    uint16_t port = out_sport();
    struct tf_spec w = {.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = DNS, .proto = IP_PROTO_UDP,
                        .ttl = 63, .sport = port, .dport = 53, .payload_len = 29, .udp_no_csum = no_csum};
    uint32_t wlen = tf_build(want, &w);
    CHECK_SENT(n0, true, 0, want, wlen);
    s = from_remote(DNS, IP_PROTO_UDP, 53, port);
    s.payload_len = 300, s.udp_no_csum = no_csum;
    from_uplink(f, tf_build(f, &s), 1);
    w = (struct tf_spec){.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = DNS, .dst = C0_IP,
                         .proto = IP_PROTO_UDP, .ttl = 63, .sport = 53, .dport = (uint16_t)(5000 + no_csum),
                         .payload_len = 300, .udp_no_csum = no_csum};
    wlen = tf_build(want, &w);
    CHECK_SENT(n0 + 1, false, 0, want, wlen);
    /* Another peer's packet to the same uplink port is not this flow's. */
    s = from_remote(REMOTE, IP_PROTO_UDP, 53, port);
    from_uplink(f, tf_build(f, &s), 1);
    CHECK_EQ(out.n, n0 + 2);
  }
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 2);
  /* UDP flows time out unanswered after 30 s, answered after 180 s. */
  router_tick(&r, 1 + CT_TIMEOUT_UDP);
  CHECK_EQ(router_nat_in_use(&r), 2);
  router_tick(&r, 1 + CT_TIMEOUT_UDP_REPLIED);
  CHECK_EQ(router_nat_in_use(&r), 0);

  /* ICMP echo: the id is the NAT port. */
  uint32_t n0 = out.n;
  struct tf_spec s = from_c(1, REMOTE, IP_PROTO_ICMP, 0x1234, 0);
  s.payload_len = 56;
  from_bridge(1, f, tf_build(f, &s), 0);
  uint16_t id = out_icmp_id();
  CHECK(id >= CT_PORT_LO && id <= CT_PORT_HI);
  struct tf_spec w = {.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = REMOTE, .proto = IP_PROTO_ICMP,
                      .ttl = 63, .sport = id, .icmp_type = ICMP_ECHO_REQUEST, .payload_len = 56};
  uint32_t wlen = tf_build(want, &w);
  CHECK_SENT(n0, true, 0, want, wlen);
  s = from_remote(REMOTE, IP_PROTO_ICMP, id, 0);
  s.payload_len = 56;
  from_uplink(f, tf_build(f, &s), 1);
  w = (struct tf_spec){.dmac = C1_MAC, .smac = BRIDGE_MAC, .src = REMOTE, .dst = C1_IP,
                       .proto = IP_PROTO_ICMP, .ttl = 63, .sport = 0x1234, .icmp_type = ICMP_ECHO_REPLY,
                       .payload_len = 56};
  wlen = tf_build(want, &w);
  CHECK_SENT(n0 + 1, false, 1, want, wlen);
  /* An echo request arriving from the uplink is not a flow's (D0 answers its own elsewhere). */
  s.icmp_type = ICMP_ECHO_REQUEST;
  from_uplink(f, tf_build(f, &s), 1);
  CHECK_EQ(out.n, n0 + 2);
  router_tick(&r, 1 + CT_TIMEOUT_ICMP);
  CHECK_EQ(router_nat_in_use(&r), 0);
}

static void test_published_port(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], want[ETH_MAX_FRAME];
  /* A scan: SYN to unpublished ports, and the published number with the other protocol. */
  static const uint16_t scan[] = {22, 80, 443, 5353, 8081, 32768, 60999};
  for (uint32_t i = 0; i < sizeof scan / sizeof scan[0]; i++) {
    struct tf_spec s = from_remote(REMOTE, IP_PROTO_TCP, 50000, scan[i]);
    s.tcp_flags = TCP_SYN;
    from_uplink(f, tf_build(f, &s), 0);
    s = from_remote(REMOTE, IP_PROTO_UDP, 50000, scan[i] == 5353 ? 8080 : scan[i]);
    from_uplink(f, tf_build(f, &s), 0);
  }
  CHECK_EQ(out.n, 0);
  CHECK_EQ(router_nat_in_use(&r), 0);
  /* A non-SYN to the published port (an ACK scan) opens nothing either. */
  struct tf_spec s = from_remote(REMOTE, IP_PROTO_TCP, 50000, 8080);
  s.tcp_flags = TCP_ACK;
  from_uplink(f, tf_build(f, &s), 0);
  s.tcp_flags = TCP_SYN | TCP_ACK;
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 0);
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 16);
  /* The SYN: DNAT to the container's port 80. */
  s.tcp_flags = TCP_SYN, s.opt_words = 1;
  from_uplink(f, tf_build(f, &s), 0);
  struct tf_spec w = {.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = REMOTE, .dst = C0_IP, .proto = IP_PROTO_TCP,
                      .ttl = 63, .opt_words = 1, .sport = 50000, .dport = 80, .tcp_flags = TCP_SYN};
  uint32_t wlen = tf_build(want, &w);
  CHECK_SENT(0, false, 0, want, wlen);
  CHECK_EQ(r.stats.dnat_flows, 1);
  CHECK_EQ(router_nat_in_use(&r), 1);
  /* The reply leaves from the published port. */
  s = from_c(0, REMOTE, IP_PROTO_TCP, 80, 50000);
  s.tcp_flags = TCP_SYN | TCP_ACK, s.payload_len = 3;
  from_bridge(0, f, tf_build(f, &s), 1);
  w = (struct tf_spec){.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = REMOTE, .proto = IP_PROTO_TCP,
                       .ttl = 63, .sport = 8080, .dport = 50000, .tcp_flags = TCP_SYN | TCP_ACK,
                       .payload_len = 3};
  wlen = tf_build(want, &w);
  CHECK_SENT(1, true, 0, want, wlen);
  struct ct_tuple t = {.proto = IP_PROTO_TCP, .in_ip = {10, 20, 0, 2}, .in_port = 80,
                       .rem_ip = {198, 51, 100, 7}, .rem_port = 50000};
  uint16_t idx = ct_lookup_in(&r.ct, &t, 1);
  CHECK(idx != CT_NONE && r.ct.e[idx].tcp_state == CT_TCP_ESTABLISHED && r.ct.e[idx].inbound);
  /* FIN from the peer, then expiry. */
  s = from_remote(REMOTE, IP_PROTO_TCP, 50000, 8080);
  s.tcp_flags = TCP_FIN | TCP_ACK;
  from_uplink(f, tf_build(f, &s), 2);
  CHECK_EQ(out.n, 3);
  CHECK_EQ(r.ct.e[idx].tcp_state, CT_TCP_CLOSING);
  router_tick(&r, 2 + CT_TIMEOUT_TCP_CLOSING);
  CHECK_EQ(router_nat_in_use(&r), 0);
  /* A published port's flow is not subject to the egress switch: with egress NAT off, a
   * published port still works both ways, and new outbound flows are refused. */
  struct router_cfg *c = base_cfg();
  c->egress_nat = false;
  setup_cfg(c);
  s = from_remote(REMOTE, IP_PROTO_UDP, 40000, 5353);
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 1);
  s = from_c(0, REMOTE, IP_PROTO_UDP, 53, 40000);
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 2);
  CHECK(out.uplink && out_sport() == 5353);
  s = from_c(0, REMOTE, IP_PROTO_UDP, 54, 40000);
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 2);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 1);
}

/* The IPv4 packet of a frame. */
static const uint8_t *ip_of(const uint8_t *f) { return f + 14; }
static uint32_t ip_len(const uint8_t *f) { return tf_be16(f + 16); }

static void test_icmp_errors(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], sent[ETH_MAX_FRAME], want[ETH_MAX_FRAME], quote[ETH_MAX_FRAME];
  static const uint8_t protos[] = {IP_PROTO_UDP, IP_PROTO_TCP, IP_PROTO_ICMP};
  for (uint32_t p = 0; p < sizeof protos; p++) {
    for (int short_quote = 0; short_quote < 2; short_quote++) {
      /* The container's packet, and what left the uplink for it. */
      struct tf_spec s = from_c(0, REMOTE, protos[p], (uint16_t)(7000 + p * 2 + short_quote), 33434);
      s.tcp_flags = TCP_SYN, s.payload_len = 12, s.udp_no_csum = p == 0 && short_quote;
      uint32_t len = tf_build(f, &s);
      uint32_t n0 = out.n;
      from_bridge(0, f, len, 0);
      CHECK_EQ(out.n, n0 + 1);
      memcpy(sent, out.f, out.len);
      /* A hop says time exceeded (quoting all) or unreachable (quoting 28 bytes). */
      uint32_t qlen = short_quote ? 28 : ip_len(sent);
      struct tf_spec e = {.dmac = UP_MAC, .smac = GW_MAC, .src = HOP, .dst = UP_IP, .ttl = 60};
      uint8_t type = short_quote ? ICMP_DEST_UNREACH : ICMP_TIME_EXCEEDED;
      uint32_t elen = tf_icmp_error(f, &e, type, 3, ip_of(sent), qlen);
      from_uplink(f, elen, 1);
      /* What the container must get: its own packet as it left it (TTL 63, header checksum
       * recomputed), quoted as much as the hop quoted. */
      memcpy(quote, ip_of(sent), ip_len(sent));
      struct tf_spec orig = s;
      orig.dmac = GW_MAC, orig.smac = UP_MAC, orig.ttl = 63;
      static uint8_t tmp[ETH_MAX_FRAME];
      tf_build(tmp, &orig);
      memcpy(quote, ip_of(tmp), qlen);
      struct tf_spec we = {.dmac = C0_MAC, .smac = BRIDGE_MAC, .src = HOP, .dst = C0_IP, .ttl = 59};
      uint32_t wlen = tf_icmp_error(want, &we, type, 3, quote, qlen);
      CHECK_SENT(n0 + 1, false, 0, want, wlen);
    }
  }
  CHECK_EQ(r.stats.icmp_errors, 6);
  /* An error about no flow of ours, about someone else's packet, or cut short: dropped. */
  struct tf_spec s = from_c(0, REMOTE, IP_PROTO_UDP, 9999, 53);
  tf_build(f, &s);
  memcpy(quote, ip_of(f), 28);
  memcpy(quote + 12, UP_IP, 4); /* ours by address, but port 9999 was never allocated */
  struct tf_spec e = {.dmac = UP_MAC, .smac = GW_MAC, .src = HOP, .dst = UP_IP};
  uint32_t n0 = out.n;
  from_uplink(f, tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 1, quote, 28), 1);
  memcpy(quote, ip_of(sent), 28);
  memcpy(quote + 12, HOP, 4);
  from_uplink(f, tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 1, quote, 28), 1);
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 2);
  memcpy(quote, ip_of(sent), 28);
  from_uplink(f, tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 1, quote, 27), 1);
  quote[0] = 0x46; /* options claimed, not quoted */
  from_uplink(f, tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 1, quote, 28), 1);
  CHECK_EQ(up_cnt.drop[NET_DROP_MALFORMED], 2);
  CHECK_EQ(out.n, n0);
}

static void test_policy(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME];
  struct {
    const uint8_t *dst;
    uint8_t proto;
    uint16_t dport;
    bool allowed;
  } cases[] = {
      {REMOTE, IP_PROTO_TCP, 443, true},  {REMOTE, IP_PROTO_TCP, 444, false},
      {REMOTE, IP_PROTO_TCP, 80, false},  {HOP, IP_PROTO_TCP, 443, false},
      {REMOTE, IP_PROTO_UDP, 443, false}, {DNS, IP_PROTO_UDP, 53, true},
      {DNS, IP_PROTO_UDP, 54, false},     {HOP, IP_PROTO_UDP, 53, false},
      {HOP, IP_PROTO_ICMP, 0, true},      {DNS, IP_PROTO_TCP, 53, false},
  };
  uint32_t allowed = 0, denied = 0;
  for (uint32_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tf_spec s = from_c(1, cases[i].dst, cases[i].proto, (uint16_t)(1000 + i), cases[i].dport);
    s.tcp_flags = TCP_SYN;
    uint32_t n0 = out.n;
    from_bridge(1, f, tf_build(f, &s), 0);
    CHECK_MSG(out.n == n0 + cases[i].allowed, "case %u", i);
    cases[i].allowed ? allowed++ : denied++;
    CHECK_EQ(cnt[1].drop[NET_DROP_POLICY], denied);
  }
  CHECK_EQ(router_nat_in_use(&r), allowed);
  /* The unrestricted container reaches anything. */
  for (uint32_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct tf_spec s = from_c(0, cases[i].dst, cases[i].proto, (uint16_t)(1000 + i), cases[i].dport);
    s.tcp_flags = TCP_SYN;
    uint32_t n0 = out.n;
    from_bridge(0, f, tf_build(f, &s), 0);
    CHECK_EQ(out.n, n0 + 1);
  }
  CHECK_EQ(cnt[0].drop[NET_DROP_POLICY], 0);
  /* A restricted container with no rule at all sends nothing out; its replies to a tracked flow
   * are never checked (shown by published ports above: policy is for new flows only). */
  struct router_cfg *c = base_cfg();
  c->containers[1].egress.n_rules = 0;
  setup_cfg(c);
  struct tf_spec s = from_c(1, REMOTE, IP_PROTO_ICMP, 1, 0);
  from_bridge(1, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 0);
  CHECK_EQ(cnt[1].drop[NET_DROP_POLICY], 1);
}

static void test_fragments_ttl_options(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME], want[ETH_MAX_FRAME];
  struct tf_spec s = from_c(0, REMOTE, IP_PROTO_UDP, 1, 2);
  s.frag = 0x2000, s.payload_len = 40;
  from_bridge(0, f, tf_build(f, &s), 0);
  s.frag = 0x0005;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_FRAGMENT], 2);
  s = from_remote(REMOTE, IP_PROTO_UDP, 53, 5353);
  s.frag = 0x2000;
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(up_cnt.drop[NET_DROP_FRAGMENT], 1);
  CHECK_EQ(out.n, 0);
  CHECK_EQ(router_nat_in_use(&r), 0);
  /* TTL 1 is not forwarded either way (and D0 says nothing). */
  s = from_c(0, REMOTE, IP_PROTO_UDP, 1, 2);
  s.ttl = 1;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 1);
  s.ttl = 2;
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 1);
  CHECK_EQ(out.f[22], 1);
  s = from_remote(REMOTE, IP_PROTO_UDP, 2, out_sport());
  s.ttl = 1;
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 1);
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 1);
  /* IP options: kept, the L4 header found past them, checksums right. */
  for (uint32_t words = 1; words <= 10; words++) {
    s = from_c(0, REMOTE, IP_PROTO_TCP, (uint16_t)(3000 + words), 443);
    s.opt_words = words, s.tcp_flags = TCP_SYN, s.payload_len = words;
    uint32_t n0 = out.n;
    from_bridge(0, f, tf_build(f, &s), 0);
    struct tf_spec w = {.dmac = GW_MAC, .smac = UP_MAC, .src = UP_IP, .dst = REMOTE, .proto = IP_PROTO_TCP,
                        .ttl = 63, .opt_words = words, .sport = out_sport(), .dport = 443,
                        .tcp_flags = TCP_SYN, .payload_len = words};
    uint32_t wlen = tf_build(want, &w);
    CHECK_SENT(n0, true, 0, want, wlen);
  }
  /* Other protocols (GRE), destinations on the bridge, multicast: nowhere to go. */
  s = from_c(0, REMOTE, 47, 0, 0);
  s.payload_len = 8;
  from_bridge(0, f, tf_build(f, &s), 0);
  s = from_c(0, C1_IP, IP_PROTO_UDP, 1, 2);
  from_bridge(0, f, tf_build(f, &s), 0);
  s = from_c(0, (const uint8_t[]){224, 0, 0, 251}, IP_PROTO_UDP, 5353, 5353);
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 4);
  /* Nor loopback, link-local, broadcast, "this network", or D0's own uplink address (no
   * hairpin to a published port). */
  static const uint8_t martians[][4] = {{127, 0, 0, 1}, {169, 254, 1, 1}, {255, 255, 255, 255},
                                        {0, 1, 2, 3}, {192, 0, 2, 10}, {240, 0, 0, 1}};
  for (uint32_t i = 0; i < 6; i++) {
    s = from_c(0, martians[i], IP_PROTO_UDP, 1, 8080);
    from_bridge(0, f, tf_build(f, &s), 0);
  }
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 10);
  /* A packet to another address on the uplink: D0 routes for nobody there. */
  s = from_remote(REMOTE, IP_PROTO_UDP, 1, 5353);
  s.dst = HOP;
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 2);
  /* Nor does a published port take a martian source: a container's address, D0's own, ... */
  static const uint8_t sources[][4] = {{10, 20, 0, 3}, {192, 0, 2, 10}, {127, 0, 0, 1},
                                       {224, 0, 0, 1}, {0, 0, 0, 0}};
  for (uint32_t i = 0; i < 5; i++) {
    s = from_remote(sources[i], IP_PROTO_UDP, 1, 5353);
    from_uplink(f, tf_build(f, &s), 0);
  }
  CHECK_EQ(up_cnt.drop[NET_DROP_NO_ROUTE], 7);
  CHECK_EQ(router_nat_in_use(&r), 11); /* the TTL 2 flow and the ten with options */
  /* Frames not to the uplink's MAC, or not IPv4, are not the router's: ignored, not counted. */
  uint64_t before = drops(&up_cnt);
  s = from_remote(REMOTE, IP_PROTO_UDP, 1, 5353);
  s.dmac = BCAST;
  from_uplink(f, tf_build(f, &s), 0);
  uint32_t len = tf_build(f, &s);
  memcpy(f, UP_MAC, 6), tf_put16(f + 12, 0x86dd);
  from_uplink(f, len, 0);
  CHECK_EQ(drops(&up_cnt), before);
  CHECK_EQ(out.n, 11);
}

static void test_no_uplink_or_gateway(void)
{
  struct router_cfg *c = base_cfg();
  setup_cfg(c);
  router_set_gw_mac(&r, (const uint8_t[6]){0});
  static uint8_t f[ETH_MAX_FRAME];
  struct tf_spec s = from_c(0, REMOTE, IP_PROTO_UDP, 1, 2);
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 1);
  router_set_gw_mac(&r, GW_MAC);
  from_bridge(0, f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 1);
  c->uplink = false;
  setup_cfg(c);
  from_bridge(0, f, tf_build(f, &s), 0);
  s = from_remote(REMOTE, IP_PROTO_UDP, 40000, 5353);
  from_uplink(f, tf_build(f, &s), 0);
  CHECK_EQ(out.n, 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_NO_ROUTE], 1);
  CHECK_EQ(router_nat_in_use(&r), 0);
}

/* Every truncation of f, at one input: dropped as malformed, nothing sent, nothing tracked. */
static void truncations(bool bridge, const uint8_t *f, uint32_t len, uint32_t real)
{
  struct net_counters *c = bridge ? &cnt[0] : &up_cnt;
  for (uint32_t cut = 0; cut < real; cut++) {
    uint64_t before = c->drop[NET_DROP_MALFORMED];
    uint32_t n0 = out.n, nat = router_nat_in_use(&r);
    if (bridge)
      from_bridge(0, f, cut, 0);
    else
      from_uplink(f, cut, 0);
    CHECK_MSG(c->drop[NET_DROP_MALFORMED] == before + 1 && out.n == n0 &&
                  router_nat_in_use(&r) == nat,
              "%s cut at %u of %u", bridge ? "bridge" : "uplink", cut, len);
  }
  /* Whole, it is accepted (sanity: the cuts failed for their length). */
  uint64_t before = c->drop[NET_DROP_MALFORMED];
  if (bridge)
    from_bridge(0, f, len, 0);
  else
    from_uplink(f, len, 0);
  CHECK_EQ(c->drop[NET_DROP_MALFORMED], before);
}

static void test_truncated(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME];
  static const uint8_t protos[] = {IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP};
  for (uint32_t p = 0; p < sizeof protos; p++) {
    for (uint32_t opts = 0; opts <= 2; opts += 2) {
      struct tf_spec s = from_c(0, REMOTE, protos[p], 100, 443);
      s.tcp_flags = TCP_SYN, s.opt_words = opts, s.payload_len = 5;
      uint32_t len = tf_build(f, &s);
      truncations(true, f, len, 14 + ip_len(f));
      /* The reply to that flow, truncated at the uplink. */
      uint16_t port = out_sport();
      if (protos[p] == IP_PROTO_ICMP)
        port = out_icmp_id();
      s = from_remote(REMOTE, protos[p], protos[p] == IP_PROTO_ICMP ? port : 443, port);
      s.tcp_flags = TCP_ACK, s.opt_words = opts, s.payload_len = 5;
      len = tf_build(f, &s);
      truncations(false, f, len, 14 + ip_len(f));
    }
  }
  /* An ARP request for the gateway. */
  memset(f, 0, 60);
  memcpy(f, BCAST, 6), memcpy(f + 6, C0_MAC, 6);
  tf_put16(f + 12, ETHERTYPE_ARP);
  tf_put16(f + 14, 1), tf_put16(f + 16, ETHERTYPE_IPV4), f[18] = 6, f[19] = 4, tf_put16(f + 20, 1);
  memcpy(f + 22, C0_MAC, 6), memcpy(f + 28, C0_IP, 4), memcpy(f + 38, BRIDGE_IP, 4);
  truncations(true, f, 42, 42);
  /* An ICMP error about a tracked flow: the quote cut inside its IPv4 header or its first 8
   * bytes is malformed; the outer lengths cut as above. */
  struct tf_spec s = from_c(0, REMOTE, IP_PROTO_UDP, 555, 53);
  from_bridge(0, f, tf_build(f, &s), 0);
  static uint8_t sent[ETH_MAX_FRAME];
  memcpy(sent, out.f, out.len);
  struct tf_spec e = {.dmac = UP_MAC, .smac = GW_MAC, .src = HOP, .dst = UP_IP};
  uint32_t len = tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 3, ip_of(sent), 28);
  truncations(false, f, len, 14 + ip_len(f));
  for (uint32_t q = 0; q < 28; q++) {
    uint64_t before = up_cnt.drop[NET_DROP_MALFORMED];
    uint32_t n0 = out.n;
    from_uplink(f, tf_icmp_error(f, &e, ICMP_DEST_UNREACH, 3, ip_of(sent), q), 0);
    CHECK_MSG(up_cnt.drop[NET_DROP_MALFORMED] == before + 1 && out.n == n0, "quote of %u", q);
  }
  /* Frames too long for D0, or absent. */
  uint64_t before = cnt[0].drop[NET_DROP_MALFORMED];
  router_from_bridge(&r, 0, NULL, 60, 0);
  static uint8_t big[ETH_MAX_FRAME + 1];
  memcpy(big, f, 60);
  router_from_bridge(&r, 0, big, sizeof big, 0);
  CHECK_EQ(cnt[0].drop[NET_DROP_MALFORMED], before + 2);
}

static void test_conntrack_full(void)
{
  setup();
  static uint8_t f[ETH_MAX_FRAME];
  /* c1 opens a few flows first. */
  uint16_t c1_ports[4];
  for (uint16_t i = 0; i < 4; i++) {
    struct tf_spec s = from_c(1, DNS, IP_PROTO_UDP, (uint16_t)(100 + i), 53);
    from_bridge(1, f, tf_build(f, &s), 0);
    c1_ports[i] = out_sport();
  }
  /* c0 floods new UDP flows, twice the whole table. */
  uint32_t sent = out.n;
  for (uint32_t i = 0; i < 2 * CT_CAPACITY; i++) {
    struct tf_spec s = from_c(0, REMOTE, IP_PROTO_UDP, (uint16_t)(1 + i % 60000), (uint16_t)(1 + i / 60000));
    from_bridge(0, f, tf_build(f, &s), 1);
  }
  CHECK_EQ(out.n, sent + 2 * CT_CAPACITY); /* c0 evicts its own oldest: its new flows go */
  CHECK_EQ(r.ct.owners[0].count, r.ct.share);
  CHECK_EQ(r.ct.owners[1].count, 4);
  CHECK_EQ(r.ct.stats.evicted, 2 * CT_CAPACITY - r.ct.share);
  /* c1's flows are all alive: replies reach it, and it still opens new ones. */
  for (uint16_t i = 0; i < 4; i++) {
    struct tf_spec s = from_remote(DNS, IP_PROTO_UDP, 53, c1_ports[i]);
    uint32_t n0 = out.n;
    from_uplink(f, tf_build(f, &s), 2);
    CHECK_EQ(out.n, n0 + 1);
    CHECK(!out.uplink && out.port == 1);
  }
  for (uint32_t i = 0; i < 100; i++) {
    struct tf_spec s = from_c(1, REMOTE, IP_PROTO_TCP, (uint16_t)(2000 + i), 443);
    s.tcp_flags = TCP_SYN;
    uint32_t n0 = out.n;
    from_bridge(1, f, tf_build(f, &s), 2);
    CHECK_EQ(out.n, n0 + 1);
  }
  CHECK_EQ(r.ct.owners[1].count, 104);
  CHECK_EQ(cnt[1].drop[NET_DROP_CONNTRACK_FULL], 0);
  /* A published port's flood lands in c0's share too, never c1's. */
  for (uint32_t i = 0; i < 3000; i++) {
    struct tf_spec s = from_remote(HOP, IP_PROTO_TCP, (uint16_t)(1024 + i), 8080);
    s.tcp_flags = TCP_SYN;
    from_uplink(f, tf_build(f, &s), 3);
  }
  CHECK_EQ(r.ct.owners[1].count, 104);
  CHECK_EQ(r.ct.owners[0].count, r.ct.share);
  CHECK(router_nat_in_use(&r) <= CT_CAPACITY);
}

void run_router_tests(void)
{
  RUN(test_config_checks);
  RUN(test_arp_and_echo);
  RUN(test_tcp_snat);
  RUN(test_udp_and_icmp_nat);
  RUN(test_published_port);
  RUN(test_icmp_errors);
  RUN(test_policy);
  RUN(test_fragments_ttl_options);
  RUN(test_no_uplink_or_gateway);
  RUN(test_truncated);
  RUN(test_conntrack_full);
}

int main(void)
{
  run_pkt_tests();
  run_conntrack_tests();
  run_router_tests();
  return check_exit("router");
}
