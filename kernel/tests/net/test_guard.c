/*
 * Host tests of the bridge's anti-spoofing guard (kernel/net/guard.c) and of the rate limiter
 * (kernel/net/rate.c, test_rate.c), under ASan+UBSan. Every frame is checked from a heap buffer
 * of exactly its length, so a read past it is a sanitizer report. Prints "guard: N checks, N
 * failed" (read by test/kernel/net.test.ts).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net/guard.h"

void test_rate_all(void);

#define PASS NET_DROP_COUNT /* verdict() of a frame the guard lets through */

static const struct guard_port PORT = {{0x02, 0, 0, 0, 0, 0x0a}, {10, 20, 0, 10}};
static const uint8_t OTHER_MAC[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t OTHER_IP[4] = {10, 20, 0, 11};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static unsigned unnamed_drops; /* drops whose reason was not set: checked once at the end */

/* The guard's verdict on f[0..len), copied to a buffer of exactly len bytes. */
static unsigned verdict(const uint8_t *f, uint32_t len)
{
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, f, len);
  enum net_drop why = NET_DROP_COUNT;
  bool ok = guard_check(&PORT, copy, len, &why);
  free(copy);
  if (ok)
    return PASS;
  if (why >= NET_DROP_COUNT)
    unnamed_drops++;
  return why;
}

static void eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = (uint8_t)(type >> 8), f[13] = (uint8_t)type;
}

/* An Ethernet/IPv4 ARP frame (42 bytes) of op from (sha, spa) asking for/answering tpa. */
static uint32_t arp(uint8_t *f, uint16_t op, const uint8_t *sha, const uint8_t *spa,
                    const uint8_t *tpa)
{
  memset(f, 0, 42);
  eth(f, BCAST, PORT.mac, 0x0806);
  uint8_t *a = f + 14;
  a[1] = 1, a[2] = 0x08, a[4] = 6, a[5] = 4, a[7] = (uint8_t)op;
  memcpy(a + 8, sha, 6);
  memcpy(a + 14, spa, 4);
  memcpy(a + 24, tpa, 4);
  return 42;
}

/* An IPv4/UDP frame from src with an IHL of ihl words and payload bytes after the header. */
static uint32_t ip4(uint8_t *f, const uint8_t *src, uint32_t ihl, uint32_t payload)
{
  uint32_t total = ihl * 4 + payload;
  memset(f, 0, 14 + total);
  eth(f, OTHER_MAC, PORT.mac, 0x0800);
  uint8_t *ip = f + 14;
  ip[0] = (uint8_t)(0x40 | ihl);
  ip[2] = (uint8_t)(total >> 8), ip[3] = (uint8_t)total;
  ip[8] = 64, ip[9] = 17;
  memcpy(ip + 12, src, 4);
  memcpy(ip + 16, OTHER_IP, 4);
  return 14 + total;
}

static void test_ip4(void)
{
  uint8_t f[1600];
  uint32_t n = ip4(f, PORT.ip4, 5, 8);
  CHECK_EQ(verdict(f, n), PASS);
  CHECK_EQ(verdict(f, 60), PASS); /* Ethernet padding after the total length */
  CHECK_EQ(verdict(f, n + 1), PASS);
  n = ip4(f, PORT.ip4, 15, 0); /* 40 bytes of options, no payload */
  CHECK_EQ(verdict(f, n), PASS);
  n = ip4(f, PORT.ip4, 5, 1480); /* a full 1500-byte packet */
  CHECK_EQ(verdict(f, n), PASS);
  n = ip4(f, OTHER_IP, 5, 8);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = ip4(f, (const uint8_t[4]){0, 0, 0, 0}, 5, 8);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = ip4(f, (const uint8_t[4]){10, 20, 0, 255}, 5, 8);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = ip4(f, PORT.ip4, 5, 8);
  memcpy(f + 6, OTHER_MAC, 6);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF); /* right IPv4, someone else's MAC */
}

static void test_ip4_malformed(void)
{
  uint8_t f[128];
  uint32_t n = ip4(f, PORT.ip4, 5, 8);
  f[14] = 0x65; /* version 6 under ethertype IPv4 */
  CHECK_EQ(verdict(f, n), NET_DROP_MALFORMED);
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    f[14] = (uint8_t)(0x40 | ihl);
    CHECK_EQ(verdict(f, n), NET_DROP_MALFORMED);
  }
  n = ip4(f, PORT.ip4, 6, 0); /* IHL 6: 24 bytes of header, only 20 there */
  CHECK_EQ(verdict(f, n - 4), NET_DROP_MALFORMED);
  n = ip4(f, PORT.ip4, 5, 8);
  f[16] = 0, f[17] = 19; /* total length shorter than the header */
  CHECK_EQ(verdict(f, n), NET_DROP_MALFORMED);
  f[17] = 29; /* one byte more than the frame holds */
  CHECK_EQ(verdict(f, n), NET_DROP_MALFORMED);
  f[17] = 28;
  CHECK_EQ(verdict(f, n), PASS);
  f[16] = 0xff, f[17] = 0xff;
  CHECK_EQ(verdict(f, n), NET_DROP_MALFORMED);
  /* Every truncation of a valid frame short of its total length. */
  n = ip4(f, PORT.ip4, 7, 12);
  for (uint32_t len = 0; len < n; len++)
    CHECK_MSG(verdict(f, len) == NET_DROP_MALFORMED, "IPv4 cut at %u of %u", len, n);
  CHECK_EQ(verdict(f, n), PASS);
}

static void test_arp(void)
{
  static const uint8_t zero[4] = {0};
  uint8_t f[64];
  uint32_t n = arp(f, 1, PORT.mac, PORT.ip4, OTHER_IP);
  CHECK_EQ(verdict(f, n), PASS);
  CHECK_EQ(verdict(f, 60), PASS); /* padded to the Ethernet minimum */
  n = arp(f, 2, PORT.mac, PORT.ip4, OTHER_IP);
  CHECK_EQ(verdict(f, n), PASS);
  n = arp(f, 1, PORT.mac, zero, PORT.ip4); /* RFC 5227 probe */
  CHECK_EQ(verdict(f, n), PASS);
  n = arp(f, 1, PORT.mac, zero, OTHER_IP); /* a probe for another's address: still no claim */
  CHECK_EQ(verdict(f, n), PASS);
  n = arp(f, 1, PORT.mac, PORT.ip4, PORT.ip4); /* gratuitous ARP, request form */
  CHECK_EQ(verdict(f, n), PASS);
  n = arp(f, 2, PORT.mac, PORT.ip4, PORT.ip4); /* gratuitous ARP, reply form */
  CHECK_EQ(verdict(f, n), PASS);
  /* Spoofs: another's sender IP (gratuitous or not), another's sender MAC, a reply from 0.0.0.0. */
  n = arp(f, 2, PORT.mac, OTHER_IP, OTHER_IP);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = arp(f, 1, PORT.mac, OTHER_IP, PORT.ip4);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = arp(f, 2, OTHER_MAC, PORT.ip4, OTHER_IP);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = arp(f, 1, OTHER_MAC, zero, OTHER_IP);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = arp(f, 2, PORT.mac, zero, OTHER_IP);
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
  n = arp(f, 1, PORT.mac, PORT.ip4, OTHER_IP);
  memcpy(f + 6, OTHER_MAC, 6); /* Ethernet source not the port's */
  CHECK_EQ(verdict(f, n), NET_DROP_SPOOF);
}

static void test_arp_malformed(void)
{
  uint8_t f[64];
  uint32_t n = arp(f, 1, PORT.mac, PORT.ip4, OTHER_IP);
  for (uint32_t len = 0; len < n; len++)
    CHECK_MSG(verdict(f, len) == NET_DROP_MALFORMED, "ARP cut at %u of %u", len, n);
  /* Each fixed field wrong in turn: htype, ptype, hlen, plen, op. */
  static const struct { uint32_t off; uint8_t v; } bad[] = {
      {14 + 1, 6}, {14 + 0, 1}, {14 + 2, 0x86}, {14 + 3, 0x06}, {14 + 4, 8},
      {14 + 5, 16}, {14 + 7, 0}, {14 + 7, 3}, {14 + 6, 1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    arp(f, 1, PORT.mac, PORT.ip4, OTHER_IP);
    f[bad[i].off] = bad[i].v;
    CHECK_MSG(verdict(f, n) == NET_DROP_MALFORMED, "ARP byte %u = %u", bad[i].off, bad[i].v);
  }
}

static void test_ethertypes(void)
{
  static const uint16_t others[] = {0x86dd, 0x8100, 0x88a8, 0x88cc, 0x8035, 0x0000, 0x05dc,
                                    0x0801, 0x0805, 0xffff};
  uint8_t f[64] = {0};
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    eth(f, OTHER_MAC, PORT.mac, others[i]);
    CHECK_MSG(verdict(f, 60) == NET_DROP_ETHERTYPE, "ethertype %04x", others[i]);
    CHECK_EQ(verdict(f, 14), NET_DROP_ETHERTYPE);
  }
  /* A VLAN-tagged IPv4 frame is refused by its outer type, whatever it carries. */
  uint32_t n = ip4(f, PORT.ip4, 5, 8);
  memmove(f + 16, f + 12, n - 12);
  f[12] = 0x81, f[13] = 0x00, f[14] = 0, f[15] = 5;
  CHECK_EQ(verdict(f, n + 4), NET_DROP_ETHERTYPE);
  /* The source MAC is checked first: a spoof is a spoof whatever its type. */
  eth(f, OTHER_MAC, OTHER_MAC, 0x86dd);
  CHECK_EQ(verdict(f, 60), NET_DROP_SPOOF);
  CHECK_EQ(verdict(f, 13), NET_DROP_MALFORMED);
  enum net_drop why = NET_DROP_COUNT;
  CHECK(!guard_check(&PORT, NULL, 0, &why));
  CHECK_EQ(why, NET_DROP_MALFORMED);
}

/* Random frames, half of them with the port's MAC and type/addresses planted: the guard never
 * reads outside the frame (ASan), and whatever passes obeys the contract. */
static void test_random(void)
{
  uint8_t f[128];
  unsigned bad = 0, passed = 0;
  srand(7);
  for (int i = 0; i < 200000; i++) {
    uint32_t len = (uint32_t)(rand() % (int)sizeof f);
    for (uint32_t k = 0; k < len; k++)
      f[k] = (uint8_t)rand();
    if (len >= 14 && (i & 1)) {
      memcpy(f + 6, PORT.mac, 6);
      f[12] = 0x08, f[13] = (i & 2) ? 0x06 : 0x00;
      if ((i & 6) == 4 && len >= 34) { /* a plausible IPv4 header */
        f[14] = (uint8_t)(0x45 + (i >> 4) % 3);
        f[16] = 0, f[17] = (uint8_t)(len - 14 - (uint32_t)(i >> 6) % 4);
        memcpy(f + 26, PORT.ip4, 4);
      }
      if ((i & 6) == 6 && len >= 42) /* a plausible ARP header */
        memcpy(f + 14, (const uint8_t[8]){0, 1, 8, 0, 6, 4, 0, (uint8_t)(1 + (i >> 3) % 3)}, 8),
            memcpy(f + 22, PORT.mac, 6), memcpy(f + 28, PORT.ip4, 4);
    }
    if (verdict(f, len) != PASS)
      continue;
    passed++;
    bool is_arp = f[13] == 0x06;
    if (len < 14 || memcmp(f + 6, PORT.mac, 6) != 0 || f[12] != 0x08 ||
        (f[13] != 0x00 && !is_arp) || (is_arp && memcmp(f + 22, PORT.mac, 6) != 0) ||
        (!is_arp && memcmp(f + 26, PORT.ip4, 4) != 0))
      bad++;
  }
  CHECK_EQ(bad, 0);
  CHECK(passed > 0); /* the generator reaches the pass path */
}

int main(void)
{
  RUN(test_ip4);
  RUN(test_ip4_malformed);
  RUN(test_arp);
  RUN(test_arp_malformed);
  RUN(test_ethertypes);
  RUN(test_random);
  CHECK_EQ(unnamed_drops, 0); /* every drop named its reason */
  test_rate_all();
  return check_exit("guard");
}
