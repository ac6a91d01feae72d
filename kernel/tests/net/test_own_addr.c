/*
 * Host tests of D0's own-address code (kernel/dev/net/own_addr.c) under ASan+UBSan: ARP replies,
 * gateway and peer (report collector) learning, ICMP echo replies, D0's own UDP datagrams, and the hostile cases: every truncation of each frame
 * (copied into a buffer of exactly that size, so ASan catches any read past it), bad lengths and
 * checksums, fragments, options, spoofed senders, and 200,000 random frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dev/net/own_addr.h"

static const uint8_t D0_MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t PEER_MAC[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
static const uint8_t D0_IP[4] = {10, 0, 2, 15}, GW_IP[4] = {10, 0, 2, 2}, PEER_IP[4] = {10, 0, 2, 77};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void setup(struct own_addr *a, bool echo)
{
  struct own_addr_cfg cfg = {.prefix = 24, .echo = echo};
  memcpy(cfg.mac, D0_MAC, 6);
  memcpy(cfg.ip, D0_IP, 4);
  memcpy(cfg.gw, GW_IP, 4);
  own_addr_init(a, &cfg);
}

/* An ARP packet (42 bytes) from sha/spa about tpa. */
static uint32_t arp(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
                    const uint8_t *spa, const uint8_t *tpa)
{
  memset(f, 0, 60);
  memcpy(f, eth_dst, 6);
  memcpy(f + 6, sha, 6);
  put16(f + 12, 0x0806);
  put16(f + 14, 1);
  put16(f + 16, 0x0800);
  f[18] = 6, f[19] = 4;
  put16(f + 20, op);
  memcpy(f + 22, sha, 6);
  memcpy(f + 28, spa, 4);
  memcpy(f + 38, tpa, 4);
  return 42;
}

/* An ICMP echo request from the peer to dst with payload_len bytes and ihl_words (5 or more). */
static uint32_t echo(uint8_t *f, const uint8_t *dst_ip, uint32_t payload_len, uint32_t ihl_words)
{
  uint32_t ihl = ihl_words * 4, total = ihl + 8 + payload_len;
  memset(f, 0, 14 + total);
  memcpy(f, D0_MAC, 6);
  memcpy(f + 6, PEER_MAC, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14, *icmp = ip + ihl;
  ip[0] = (uint8_t)(0x40 | ihl_words);
  put16(ip + 2, (uint16_t)total);
  put16(ip + 4, 0x1234);
  ip[8] = 64, ip[9] = 1;
  memcpy(ip + 12, PEER_IP, 4);
  memcpy(ip + 16, dst_ip, 4);
  for (uint32_t i = 20; i < ihl; i++)
    ip[i] = 1; /* NOP options */
  put16(ip + 10, pkt_csum(ip, ihl));
  icmp[0] = 8;
  put16(icmp + 4, 0xbeef);
  put16(icmp + 6, 7);
  for (uint32_t i = 0; i < payload_len; i++)
    icmp[8 + i] = (uint8_t)(i * 7 + 3);
  put16(icmp + 2, pkt_csum(icmp, 8 + payload_len));
  return 14 + total;
}

/* Runs own_addr_input on a heap copy of exactly len bytes (ASan: no read beyond it). */
static enum own_addr_verdict input(struct own_addr *a, const uint8_t *f, uint32_t len,
                                   uint8_t *reply, uint32_t *n)
{
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, f, len);
  enum own_addr_verdict v = own_addr_input(a, copy, len, reply, n);
  free(copy);
  return v;
}

static void test_arp_reply(void)
{
  struct own_addr a;
  setup(&a, true);
  uint8_t f[60], r[ETH_MAX_FRAME];
  uint32_t n;
  uint32_t len = arp(f, BCAST, 1, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_REPLY);
  CHECK_EQ(n, ETH_MIN_FRAME);
  CHECK(memcmp(r, PEER_MAC, 6) == 0 && memcmp(r + 6, D0_MAC, 6) == 0);
  CHECK_EQ(be16(r + 12), 0x0806);
  CHECK_EQ(be16(r + 20), 2);
  CHECK(memcmp(r + 22, D0_MAC, 6) == 0 && memcmp(r + 28, D0_IP, 4) == 0);
  CHECK(memcmp(r + 32, PEER_MAC, 6) == 0 && memcmp(r + 38, PEER_IP, 4) == 0);
  CHECK_EQ(a.stats.arp_replies, 1);
  /* Unicast to D0 is answered too; a request for another address is not D0's. */
  len = arp(f, D0_MAC, 1, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_REPLY);
  len = arp(f, BCAST, 1, PEER_MAC, PEER_IP, PEER_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_PASS);
  CHECK_EQ(n, 0);
  /* ARP to some other station's MAC is not looked at. */
  len = arp(f, PEER_MAC, 1, D0_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_PASS);
}

static void test_arp_hostile(void)
{
  struct own_addr a;
  setup(&a, true);
  uint8_t f[60], r[ETH_MAX_FRAME];
  uint32_t n;
  uint32_t len = arp(f, BCAST, 1, PEER_MAC, PEER_IP, D0_IP);
  for (uint32_t cut = 0; cut < len; cut++)
    CHECK_MSG(input(&a, f, cut, r, &n) == OWN_ADDR_MALFORMED && n == 0, "ARP cut at %u", cut);
  static const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1}, zero[6] = {0};
  arp(f, BCAST, 1, mcast, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  arp(f, BCAST, 1, zero, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  arp(f, BCAST, 1, PEER_MAC, PEER_IP, D0_IP);
  f[6] ^= 0x10; /* Ethernet source differs from the ARP sender */
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  arp(f, BCAST, 1, PEER_MAC, PEER_IP, D0_IP);
  f[18] = 7; /* hlen */
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  arp(f, BCAST, 3, PEER_MAC, PEER_IP, D0_IP); /* RARP op */
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  CHECK_EQ(a.stats.arp_replies, 0);
}

static void test_gateway(void)
{
  struct own_addr a;
  setup(&a, true);
  uint8_t f[60], r[ETH_MAX_FRAME];
  uint32_t n;
  uint32_t len = own_addr_gw_request(&a, f);
  CHECK_EQ(len, ETH_MIN_FRAME);
  CHECK(memcmp(f, BCAST, 6) == 0 && memcmp(f + 6, D0_MAC, 6) == 0);
  CHECK_EQ(be16(f + 20), 1);
  CHECK(memcmp(f + 28, D0_IP, 4) == 0 && memcmp(f + 38, GW_IP, 4) == 0);
  /* A reply from another address, or the gateway's broadcast to everyone, teaches nothing. */
  len = arp(f, D0_MAC, 2, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  len = arp(f, BCAST, 2, PEER_MAC, GW_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(!a.gw_known);
  len = arp(f, D0_MAC, 2, PEER_MAC, GW_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(a.gw_known && memcmp(a.gw_mac, PEER_MAC, 6) == 0);
}

/* The report collector on the subnet: resolved by ARP like the gateway, and only when asked. */
static void test_peer(void)
{
  struct own_addr a;
  setup(&a, true);
  uint8_t f[60], r[ETH_MAX_FRAME];
  uint32_t n, len;
  /* Without a peer configured, the peer's reply teaches nothing. */
  len = arp(f, D0_MAC, 2, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(!a.peer_known && !a.gw_known);
  a.cfg.has_peer = true;
  memcpy(a.cfg.peer, PEER_IP, 4);
  len = own_addr_peer_request(&a, f);
  CHECK_EQ(len, ETH_MIN_FRAME);
  CHECK(memcmp(f, BCAST, 6) == 0 && memcmp(f + 38, PEER_IP, 4) == 0);
  CHECK(memcmp(f + 28, D0_IP, 4) == 0);
  /* A broadcast reply, or one about another address, teaches nothing. */
  len = arp(f, BCAST, 2, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(!a.peer_known);
  static const uint8_t OTHER_IP[4] = {10, 0, 2, 78};
  len = arp(f, D0_MAC, 2, PEER_MAC, OTHER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(!a.peer_known);
  len = arp(f, D0_MAC, 2, PEER_MAC, PEER_IP, D0_IP);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK(a.peer_known && memcmp(a.peer_mac, PEER_MAC, 6) == 0 && !a.gw_known);
  /* On link or through the gateway. */
  CHECK(own_addr_on_link(&a, PEER_IP) && own_addr_on_link(&a, GW_IP));
  static const uint8_t FAR[4] = {10, 0, 3, 1}, NEAR[4] = {10, 0, 2, 255};
  CHECK(!own_addr_on_link(&a, FAR) && own_addr_on_link(&a, NEAR));
  a.cfg.prefix = 32;
  CHECK(!own_addr_on_link(&a, PEER_IP) && own_addr_on_link(&a, D0_IP));
  a.cfg.prefix = 1;
  CHECK(own_addr_on_link(&a, FAR));
}

/* The RFC 768 checksum over the pseudo header, the UDP header and the payload: 0 when valid. */
static uint16_t udp_verify(const uint8_t *ip, const uint8_t *udp, uint32_t udp_len)
{
  uint32_t sum = 0;
  for (int i = 12; i < 20; i += 2)
    sum += be16(ip + i);
  sum += 17 + udp_len;
  for (uint32_t i = 0; i + 1 < udp_len; i += 2)
    sum += be16(udp + i);
  if (udp_len & 1)
    sum += (uint32_t)udp[udp_len - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void test_udp(void)
{
  struct own_addr a;
  setup(&a, true);
  uint8_t out[ETH_MAX_FRAME], payload[ETH_MAX_FRAME];
  for (uint32_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 7 + 1);
  static const uint32_t sizes[] = {0, 1, 17, 18, 19, 100, 1471, 1472};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint32_t len = sizes[k];
    memset(out, 0xee, sizeof out);
    uint32_t n = own_addr_udp(&a, PEER_MAC, PEER_IP, 514, 5514, payload, len, 0x4242, out);
    uint32_t want = 14 + 20 + 8 + len;
    CHECK_EQ(n, want < 60 ? 60 : want);
    CHECK(memcmp(out, PEER_MAC, 6) == 0 && memcmp(out + 6, D0_MAC, 6) == 0);
    CHECK_EQ(be16(out + 12), 0x0800);
    const uint8_t *ip = out + 14, *udp = ip + 20;
    CHECK_EQ(ip[0], 0x45);
    CHECK_EQ(be16(ip + 2), 20 + 8 + len);
    CHECK_EQ(be16(ip + 4), 0x4242);
    CHECK_EQ(be16(ip + 6), 0x4000);
    CHECK_EQ(ip[9], 17);
    CHECK(memcmp(ip + 12, D0_IP, 4) == 0 && memcmp(ip + 16, PEER_IP, 4) == 0);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
      sum += be16(ip + i);
    while (sum >> 16)
      sum = (sum & 0xffff) + (sum >> 16);
    CHECK_EQ(sum, 0xffff); /* the IPv4 header checksum holds */
    CHECK_EQ(be16(udp), 514);
    CHECK_EQ(be16(udp + 2), 5514);
    CHECK_EQ(be16(udp + 4), 8 + len);
    CHECK(be16(udp + 6) != 0); /* a checksum is always sent */
    CHECK_EQ(udp_verify(ip, udp, 8 + len), 0);
    CHECK(memcmp(udp + 8, payload, len) == 0);
    for (uint32_t i = want; i < 60; i++)
      CHECK_EQ(out[i], 0); /* padding is zeros, never stale bytes */
  }
  /* One byte more than a frame holds: nothing is written, no fragment. */
  CHECK_EQ(own_addr_udp(&a, PEER_MAC, PEER_IP, 514, 514, payload, 1473, 1, out), 0);
}

static void check_echo_reply(const uint8_t *req, const uint8_t *r, uint32_t n, uint32_t payload)
{
  uint32_t req_ihl = (uint32_t)(req[14] & 0xf) * 4;
  CHECK_EQ(n, 14 + 20 + 8 + payload < 60 ? 60 : 14 + 20 + 8 + payload);
  CHECK(memcmp(r, PEER_MAC, 6) == 0 && memcmp(r + 6, D0_MAC, 6) == 0);
  CHECK_EQ(r[14], 0x45);
  CHECK_EQ(be16(r + 16), 20 + 8 + payload);
  CHECK_EQ(pkt_csum(r + 14, 20), 0);
  CHECK(memcmp(r + 26, D0_IP, 4) == 0 && memcmp(r + 30, PEER_IP, 4) == 0);
  CHECK_EQ(r[34], 0);
  CHECK_EQ(pkt_csum(r + 34, 8 + payload), 0);
  CHECK(memcmp(r + 38, req + 14 + req_ihl + 4, 4 + payload) == 0); /* id, seq, data */
}

static void test_echo(void)
{
  struct own_addr a;
  setup(&a, true);
  static uint8_t f[ETH_MAX_FRAME + 8], r[ETH_MAX_FRAME];
  uint32_t n;
  uint32_t sizes[] = {0, 1, 18, 56, 1472};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    uint32_t len = echo(f, D0_IP, sizes[i], 5);
    CHECK_MSG(input(&a, f, len, r, &n) == OWN_ADDR_REPLY, "payload %u", sizes[i]);
    check_echo_reply(f, r, n, sizes[i]);
  }
  /* IP options: answered without them. */
  uint32_t len = echo(f, D0_IP, 32, 8);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_REPLY);
  check_echo_reply(f, r, n, 32);
  /* Ethernet padding after the IP packet is not echoed back. */
  len = echo(f, D0_IP, 0, 5);
  CHECK_EQ(input(&a, f, 60, r, &n), OWN_ADDR_REPLY);
  check_echo_reply(f, r, n, 0);
  CHECK_EQ(a.stats.echo_replies, 7);
  /* Echo off: consumed, never answered. To another address: not D0's. */
  setup(&a, false);
  len = echo(f, D0_IP, 56, 5);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_CONSUMED);
  CHECK_EQ(n, 0);
  CHECK_EQ(a.stats.ignored, 1);
  setup(&a, true);
  len = echo(f, PEER_IP, 56, 5);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_PASS);
  len = echo(f, D0_IP, 56, 5);
  memcpy(f, BCAST, 6); /* D0's IP but not its MAC */
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_PASS);
}

static void test_echo_hostile(void)
{
  struct own_addr a;
  setup(&a, true);
  static uint8_t f[ETH_MAX_FRAME + 8], r[ETH_MAX_FRAME];
  uint32_t n;
  uint32_t len = echo(f, D0_IP, 56, 6);
  for (uint32_t cut = 0; cut < len; cut++)
    CHECK_MSG(input(&a, f, cut, r, &n) != OWN_ADDR_REPLY && n == 0, "echo cut at %u", cut);
  struct { uint32_t off; uint8_t xor; const char *what; } bad[] = {
      {14, 0x10, "version 5"},   {14, 0x03, "IHL 6 with options of 4 bytes: checksum off"},
      {14, 0x0f, "IHL 0"},       {16, 0x10, "total length beyond the frame"},
      {24, 0x01, "IP checksum"}, {14 + 24 + 2, 0x01, "ICMP checksum"},
      {12, 0x01, "ethertype"},   {6, 0x01, "multicast source MAC"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    len = echo(f, D0_IP, 56, 6);
    f[bad[i].off] ^= bad[i].xor;
    CHECK_MSG(input(&a, f, len, r, &n) != OWN_ADDR_REPLY, "%s answered", bad[i].what);
  }
  /* Total length shorter than the IP header, or too short for ICMP. */
  len = echo(f, D0_IP, 0, 5);
  put16(f + 16, 19);
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  len = echo(f, D0_IP, 0, 5);
  put16(f + 16, 24);
  put16(f + 24, 0), put16(f + 24, pkt_csum(f + 14, 20));
  CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_MALFORMED);
  /* Fragments (MF, or an offset) are never answered: D0 reassembles nothing; they are the
   * router's (which drops them, counted `fragment`). */
  uint16_t frag[] = {0x2000, 0x0001};
  for (int i = 0; i < 2; i++) {
    len = echo(f, D0_IP, 56, 5);
    put16(f + 20, frag[i]);
    put16(f + 24, 0), put16(f + 24, pkt_csum(f + 14, 20));
    CHECK_EQ(input(&a, f, len, r, &n), OWN_ADDR_PASS);
    CHECK_EQ(n, 0);
  }
  /* Oversized frames and NULL. */
  len = echo(f, D0_IP, 1472, 5);
  CHECK_EQ(input(&a, f, ETH_MAX_FRAME + 1, r, &n), OWN_ADDR_MALFORMED);
  CHECK_EQ(own_addr_input(&a, NULL, 60, r, &n), OWN_ADDR_MALFORMED);
  CHECK_EQ(a.stats.echo_replies, 0);
}

/* Random frames at D0's MAC, half ARP, half IPv4 to D0's address: no sanitizer report, and
 * every reply is a well-formed frame from D0 within the limits. */
static void test_random(void)
{
  struct own_addr a;
  setup(&a, true);
  static uint8_t f[ETH_MAX_FRAME], r[ETH_MAX_FRAME];
  uint64_t s = 0x9e3779b97f4a7c15ull;
  unsigned replies = 0, bad = 0;
  for (int i = 0; i < 200000; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    uint32_t len = (uint32_t)(s % 128);
    for (uint32_t j = 0; j < len; j++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      f[j] = (uint8_t)s;
    }
    if (len >= 14) {
      memcpy(f, (i & 1) ? BCAST : D0_MAC, 6);
      put16(f + 12, (i & 2) ? 0x0806 : 0x0800);
    }
    if (len >= 34 && !(i & 2)) {
      f[14] = (uint8_t)(0x45 + (i >> 2) % 3);
      memcpy(f + 30, D0_IP, 4);
      f[23] = 1;
    }
    if (len >= 42 && (i & 2) && (i & 4)) { /* a plausible ARP request for D0, random elsewhere */
      put16(f + 14, 1), put16(f + 16, 0x0800), f[18] = 6, f[19] = 4, put16(f + 20, 1);
      f[22] &= 0xfe, f[22] |= 0x02;
      memcpy(f + 6, f + 22, 6);
      memcpy(f + 38, D0_IP, 4);
    }
    uint32_t n;
    if (input(&a, f, len, r, &n) == OWN_ADDR_REPLY) {
      replies++;
      if (n < ETH_MIN_FRAME || n > ETH_MAX_FRAME || memcmp(r + 6, D0_MAC, 6) != 0)
        bad++;
    }
  }
  CHECK_EQ(bad, 0);
  CHECK(replies > 0); /* some random ARP requests for D0 got through (sanity of the generator) */
}

int main(void)
{
  check_current = "arp";
  test_arp_reply();
  check_current = "arp_hostile";
  test_arp_hostile();
  check_current = "gateway";
  test_gateway();
  check_current = "peer";
  test_peer();
  check_current = "udp";
  test_udp();
  check_current = "echo";
  test_echo();
  check_current = "echo_hostile";
  test_echo_hostile();
  check_current = "random";
  test_random();
  return check_exit("net");
}
