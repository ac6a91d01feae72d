/*
 * Host tests of the header views and checksums (kernel/net/pkt.c): RFC 1071 vectors, RFC 1624
 * updates against recomputation from scratch, UDP's zero rule, every truncation of each header,
 * and the length and option checks.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "frames.h"
#include "net/pkt.h"
#include "tests.h"

static const uint8_t A_MAC[6] = {0x02, 0, 0, 0, 0, 0xa}, B_MAC[6] = {0x02, 0, 0, 0, 0, 0xb};
static const uint8_t A_IP[4] = {10, 1, 2, 3}, B_IP[4] = {192, 0, 2, 9};

static void test_csum_vectors(void)
{
  /* RFC 1071 section 3's example: the sum of 0001 f203 f4f5 f6f7 is ddf2. */
  static const uint8_t v[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK_EQ(pkt_csum(v, 8), (uint16_t)~0xddf2);
  CHECK_EQ(pkt_csum(v, 7), tf_csum(v, 7)); /* odd length: the last byte is a high half */
  CHECK_EQ(pkt_csum(v, 0), 0xffff);
  /* Chaining pieces of even length is the sum of the whole. */
  CHECK_EQ(pkt_sum_finish(pkt_sum(pkt_sum(0, v, 4), v + 4, 4)), pkt_csum(v, 8));
  /* A long buffer of 0xff words folds correctly (no 32-bit overflow). */
  static uint8_t big[65536];
  memset(big, 0xff, sizeof big);
  CHECK_EQ(pkt_csum(big, sizeof big), tf_csum(big, sizeof big));
  srand(7);
  for (int i = 0; i < 2000; i++) {
    uint32_t n = (uint32_t)rand() % 1500;
    for (uint32_t k = 0; k < n; k++)
      big[k] = (uint8_t)rand();
    CHECK_EQ(pkt_csum(big, n), tf_csum(big, n));
  }
  /* Any start address (the loads are unaligned) and any sum carried in (a pseudo-header's, up to
   * 32 bits), against the plain 16-bit loop the word-at-a-time sum replaced. */
  for (int i = 0; i < 4000; i++) {
    uint32_t off = (uint32_t)rand() % 8, n = (uint32_t)rand() % 3000;
    uint32_t in = i % 4 == 0 ? (uint32_t)rand() << 1 ^ (uint32_t)rand() : (uint32_t)rand() % 0x40000;
    for (uint32_t k = 0; k < off + n; k++)
      big[k] = i % 16 == 0 ? 0xff : (uint8_t)rand();
    uint32_t ref = (in & 0xffff) + (in >> 16);
    for (uint32_t k = 0; k + 1 < n; k += 2)
      ref += (uint32_t)big[off + k] << 8 | big[off + k + 1];
    if (n & 1)
      ref += (uint32_t)big[off + n - 1] << 8;
    CHECK_EQ(pkt_sum_finish(pkt_sum(in, big + off, n)), pkt_sum_finish(ref));
  }
  memset(big, 0, sizeof big);
  CHECK_EQ(pkt_csum(big + 3, 1499), 0xffff); /* all zero: the sum is +0, never -0 */
}

static void test_incremental(void)
{
  /* A buffer with its checksum at 10..11: change one word or an address, update, and compare
   * with the sum from scratch (as a valid-checksum test: the sum over all is zero). */
  srand(11);
  uint8_t b[40];
  for (int i = 0; i < 5000; i++) {
    for (uint32_t k = 0; k < sizeof b; k++)
      b[k] = (uint8_t)rand();
    if (i % 5 == 0)
      memset(b, 0xff, sizeof b); /* words of all ones, and (nw below) words becoming 0 */
    pkt_put16(b + 10, 0);
    pkt_put16(b + 10, pkt_csum(b, sizeof b));
    uint32_t at = 12 + 2 * ((uint32_t)rand() % 10);
    uint16_t old = pkt_be16(b + at), nw = (uint16_t)(i % 7 == 0 ? 0 : rand());
    pkt_put16(b + at, nw);
    pkt_csum_update16(b + 10, old, nw);
    CHECK_EQ(pkt_csum(b, sizeof b), 0);
    uint8_t old4[4], new4[4] = {(uint8_t)rand(), (uint8_t)rand(), 0, (uint8_t)rand()};
    memcpy(old4, b + 24, 4);
    memcpy(b + 24, new4, 4);
    pkt_csum_update32(b + 10, old4, new4);
    CHECK_EQ(pkt_csum(b, sizeof b), 0);
  }
}

static uint32_t build(uint8_t *f, uint8_t proto, uint32_t opt_words, uint32_t payload, bool no_csum)
{
  struct tf_spec s = {.dmac = A_MAC, .smac = B_MAC, .src = A_IP, .dst = B_IP, .proto = proto,
                      .opt_words = opt_words, .sport = 40000, .dport = 53, .tcp_flags = TCP_SYN,
                      .icmp_type = ICMP_ECHO_REQUEST, .payload_len = payload, .udp_no_csum = no_csum};
  return tf_build(f, &s);
}

/* pkt_ip4_parse on a heap copy of exactly len bytes (ASan: nothing read beyond). */
static enum pkt_status parse(const uint8_t *f, uint32_t len)
{
  uint8_t *c = malloc(len ? len : 1);
  memcpy(c, f, len);
  struct pkt_ip4 ip;
  enum pkt_status s = pkt_ip4_parse(c, len, &ip);
  free(c);
  return s;
}

static void test_parse(void)
{
  static const uint8_t protos[] = {IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP, 47};
  static uint8_t f[ETH_MAX_FRAME];
  for (uint32_t p = 0; p < sizeof protos; p++) {
    for (uint32_t opts = 0; opts <= 10; opts += 5) {
      uint32_t len = build(f, protos[p], opts, 3, false);
      struct pkt_ip4 ip;
      CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
      CHECK_EQ(ip.ihl, 20 + 4 * opts);
      CHECK_EQ(ip.proto, protos[p]);
      CHECK(ip.l4 == f + 14 + ip.ihl);
      /* Every truncation: the IPv4 total length no longer fits, or the header is cut. */
      uint32_t real = 14 + ip.total;
      for (uint32_t cut = 0; cut < real; cut++)
        CHECK_EQ(parse(f, cut), PKT_MALFORMED);
      /* Trailing padding is not part of the packet. */
      CHECK_EQ(parse(f, real), PKT_OK);
    }
  }
  uint32_t len = build(f, IP_PROTO_UDP, 0, 10, false);
  struct pkt_ip4 ip;
  /* Each field a check guards, broken alone. */
  uint8_t g[ETH_MAX_FRAME];
  memcpy(g, f, len), g[14] = 0x65;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* version 6 */
  memcpy(g, f, len), g[14] = 0x44;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* IHL 4 */
  memcpy(g, f, len), g[30] ^= 1;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* destination: header checksum */
  memcpy(g, f, len), g[14 + tf_be16(f + 16) - 1] ^= 1;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* payload: UDP checksum */
  memcpy(g, f, len), tf_put16(g + 38, 9);
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* UDP length != IP's */
  len = build(f, IP_PROTO_UDP, 0, 10, true);
  f[len - 1] ^= 1;
  CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK); /* UDP without checksum: not verified */
  len = build(f, IP_PROTO_TCP, 0, 0, false);
  memcpy(g, f, len), g[46] = 0x40;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* data offset 16 */
  memcpy(g, f, len), g[46] = 0x60;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* data offset beyond the segment */
  len = build(f, IP_PROTO_ICMP, 0, 0, false);
  memcpy(g, f, len), g[34] ^= 1;
  CHECK_EQ(pkt_ip4_parse(g, len, &ip), PKT_MALFORMED); /* ICMP checksum */
  /* A fragment: the header is checked, the rest is not looked at. */
  struct tf_spec s = {.dmac = A_MAC, .smac = B_MAC, .src = A_IP, .dst = B_IP, .proto = IP_PROTO_UDP,
                      .frag = 0x2000, .payload_len = 4};
  len = tf_build(f, &s);
  f[len - 1] ^= 1;
  CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_FRAGMENT);
  CHECK(ip.fragment);
  s.frag = 0x0010;
  len = tf_build(f, &s);
  CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_FRAGMENT);
  s.frag = 0x4000; /* DF alone is no fragment */
  len = tf_build(f, &s);
  CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
  CHECK_EQ(pkt_ip4_parse(NULL, 60, &ip), PKT_MALFORMED);
}

static void test_rewrite(void)
{
  static const uint8_t protos[] = {IP_PROTO_TCP, IP_PROTO_UDP, IP_PROTO_ICMP};
  static const uint8_t NEW_IP[4] = {203, 0, 113, 77};
  static uint8_t f[ETH_MAX_FRAME];
  for (uint32_t p = 0; p < sizeof protos; p++) {
    for (uint32_t payload = 0; payload < 6; payload++) {
      uint32_t len = build(f, protos[p], payload % 2 ? 3 : 0, payload, false);
      struct pkt_ip4 ip;
      CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
      pkt_ip4_set_addr(&ip, PKT_IP4_SRC, NEW_IP);
      pkt_ip4_set_addr(&ip, PKT_IP4_DST, A_IP);
      pkt_l4_set16(&ip, protos[p] == IP_PROTO_ICMP ? 4 : 0, (uint16_t)(1000 + payload));
      pkt_ip4_dec_ttl(&ip);
      CHECK(memcmp(f + 26, NEW_IP, 4) == 0 && memcmp(f + 30, A_IP, 4) == 0);
      CHECK_EQ(f[22], 63);
      CHECK_EQ(pkt_be16(ip.l4 + (protos[p] == IP_PROTO_ICMP ? 4 : 0)), 1000 + payload);
      CHECK(tf_checksums_ok(f, len));
      CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
    }
  }
  /* UDP without a checksum keeps none through rewrites. */
  uint32_t len = build(f, IP_PROTO_UDP, 0, 5, true);
  struct pkt_ip4 ip;
  CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
  pkt_ip4_set_addr(&ip, PKT_IP4_SRC, NEW_IP);
  pkt_l4_set16(&ip, 0, 1234);
  CHECK_EQ(pkt_be16(ip.l4 + 6), 0);
  CHECK(tf_checksums_ok(f, len));
  /* A UDP checksum that the update makes 0 is stored as 0xffff: search ports until the
   * recomputed value is 0. */
  bool seen = false;
  for (uint32_t port = 1; port < 65536 && !seen; port++) {
    len = build(f, IP_PROTO_UDP, 0, 5, false);
    CHECK_EQ(pkt_ip4_parse(f, len, &ip), PKT_OK);
    pkt_l4_set16(&ip, 0, (uint16_t)port);
    if (pkt_be16(ip.l4 + 6) == 0xffff) {
      seen = true;
      CHECK(tf_checksums_ok(f, len));
    }
    CHECK(pkt_be16(ip.l4 + 6) != 0);
  }
  CHECK(seen);
}

static void test_arp_and_nets(void)
{
  uint8_t f[60] = {0};
  tf_put16(f + 12, ETHERTYPE_ARP);
  tf_put16(f + 14, 1), tf_put16(f + 16, ETHERTYPE_IPV4), f[18] = 6, f[19] = 4;
  CHECK(pkt_arp(f, 42) == f + 14);
  CHECK(pkt_arp(f, 41) == NULL);
  f[19] = 16;
  CHECK(pkt_arp(f, 42) == NULL);
  static const uint8_t net[4] = {10, 20, 0, 0}, in[4] = {10, 20, 0, 254}, out[4] = {10, 21, 0, 1};
  CHECK(pkt_ip4_in_net(in, net, 24) && pkt_ip4_in_net(in, net, 16) && !pkt_ip4_in_net(out, net, 16));
  CHECK(pkt_ip4_in_net(out, net, 15) && pkt_ip4_in_net(out, net, 0) && !pkt_ip4_in_net(in, net, 32));
  CHECK(!pkt_ip4_in_net(in, net, 33));
  static const uint8_t odd[4] = {10, 20, 0, 128};
  CHECK(pkt_ip4_in_net(odd, in, 25) && !pkt_ip4_in_net(odd, net, 25));
  CHECK(pkt_unicast_mac(A_MAC));
  static const uint8_t mc[6] = {1, 0, 0x5e, 0, 0, 1}, zero[6] = {0};
  CHECK(!pkt_unicast_mac(mc) && !pkt_unicast_mac(zero));
}

void run_pkt_tests(void)
{
  RUN(test_csum_vectors);
  RUN(test_incremental);
  RUN(test_parse);
  RUN(test_rewrite);
  RUN(test_arp_and_nets);
}
