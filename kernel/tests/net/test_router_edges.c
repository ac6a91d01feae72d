/*
 * Host tests of D0's router, its edges (router_rig.h): ICMP error translation, egress policy,
 * fragments, TTL and IP options, no uplink or no gateway, every truncation of every kind of frame
 * at both inputs, and connection tracking full with two containers.
 */
#include <stdlib.h>
#include <string.h>

#include "router_rig.h"

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

void run_router_edge_tests(void)
{
  RUN(test_icmp_errors);
  RUN(test_policy);
  RUN(test_fragments_ttl_options);
  RUN(test_no_uplink_or_gateway);
  RUN(test_truncated);
  RUN(test_conntrack_full);
}
