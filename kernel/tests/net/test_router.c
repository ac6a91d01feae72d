/*
 * Host tests of D0's router (kernel/net/router.c) under ASan+UBSan. Each forwarded frame is
 * compared byte for byte with the frame built from scratch (every checksum recomputed by
 * frames.c) that should have come out: TCP through SNAT and back, UDP (with and without a
 * checksum), ICMP echo, a published port's whole TCP life and expiry, scans of unpublished
 * ports. The edges (ICMP errors, policy, fragments, TTL, truncations, a full table) are in
 * test_router_edges.c; the rig both use in router_rig.h.
 */
#include <stdlib.h>
#include <string.h>

#include "router_rig.h"
#include "tests.h"

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

void run_router_tests(void)
{
  RUN(test_config_checks);
  RUN(test_arp_and_echo);
  RUN(test_tcp_snat);
  RUN(test_udp_and_icmp_nat);
  RUN(test_published_port);
  run_router_edge_tests();
}

int main(void)
{
  run_pkt_tests();
  run_offload_tests();
  run_ack_thin_tests();
  run_conntrack_tests();
  run_router_tests();
  return check_exit("router");
}
