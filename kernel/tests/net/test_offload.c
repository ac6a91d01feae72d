/*
 * Host tests of the transmit offloads (kernel/net/offload.c): TCP segmentation checked field by
 * field and with checksums recomputed by frames.c's own sum; checksum completion for TCP and
 * UDP (UDP's zero rule); and every refusal, each leaving nothing emitted.
 */
#include <string.h>

#include "check.h"
#include "frames.h"
#include "net/offload.h"
#include "tests.h"

static const uint8_t A_MAC[6] = {0x02, 0, 0, 0, 0, 0xa}, B_MAC[6] = {0x02, 0, 0, 0, 0, 0xb};
static const uint8_t A_IP[4] = {10, 1, 2, 3}, B_IP[4] = {192, 0, 2, 9};
static const struct net_offload_caps ALL = {true, true};

#define MAXF 32
static struct {
  uint8_t f[MAXF][ETH_MAX_FRAME];
  uint32_t len[MAXF];
  uint32_t n;
  uint32_t stop_at; /* emit returns false from this call on (0: never) */
} out;

static bool emit(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  CHECK(len <= ETH_MAX_FRAME);
  if (out.n < MAXF && len <= ETH_MAX_FRAME) {
    memcpy(out.f[out.n], frame, len);
    out.len[out.n] = len;
  }
  out.n++;
  return out.stop_at == 0 || out.n < out.stop_at;
}

static void reset(void) { memset(&out, 0, sizeof out); }

/* A TCP frame of `payload` bytes the way Linux hands a GSO skb to virtio: the IPv4 total length
 * of the whole, the TCP checksum field holding the pseudo-header sum (any value: D0 rewrites it).
 * With opt_words IPv4 options and 12 bytes of TCP options (a timestamp). */
static uint32_t big_tcp(uint8_t *f, uint32_t payload, uint8_t flags, uint32_t opt_words)
{
  uint32_t ihl = 20 + 4 * opt_words, doff = 32, hl = 14 + ihl + doff;
  memset(f, 0, hl + payload);
  memcpy(f, B_MAC, 6), memcpy(f + 6, A_MAC, 6);
  f[12] = 0x08;
  uint8_t *ip = f + 14, *tcp = ip + ihl;
  ip[0] = (uint8_t)(0x40 | ihl / 4);
  pkt_put16(ip + 2, (uint16_t)(ihl + doff + payload));
  pkt_put16(ip + 4, 0xfffe); /* the id wraps within the segments */
  ip[8] = 64, ip[9] = 6;
  memcpy(ip + 12, A_IP, 4), memcpy(ip + 16, B_IP, 4);
  for (uint32_t i = 20; i < ihl; i++)
    ip[i] = 1; /* NOP options */
  pkt_put16(ip + 10, pkt_csum(ip, ihl));
  pkt_put16(tcp, 80), pkt_put16(tcp + 2, 40000);
  tcp[4] = 0xff, tcp[5] = 0xff, tcp[6] = 0xff, tcp[7] = 0xf0; /* the sequence wraps too */
  tcp[12] = (uint8_t)(doff / 4 << 4);
  tcp[13] = flags;
  pkt_put16(tcp + 14, 502);
  for (uint32_t i = 20; i < doff; i++)
    tcp[i] = 1;
  pkt_put16(tcp + 16, 0x1234);
  for (uint32_t i = 0; i < payload; i++)
    f[hl + i] = (uint8_t)(i * 7 + 3);
  return hl + payload;
}

static struct net_tx_offload tso(uint16_t mss, uint32_t ihl)
{
  return (struct net_tx_offload){VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, mss,
                                 (uint16_t)(14 + ihl), 16};
}

static void test_segments(void)
{
  static uint8_t f[NET_OFFLOAD_MAX_FRAME];
  for (uint32_t opt = 0; opt <= 1; opt++) {
    uint32_t ihl = 20 + 4 * opt, hl = 14 + ihl + 32, payload = 10000, mss = 1448 - 4 * opt;
    uint32_t len = big_tcp(f, payload, 0x18 | 0x01 | 0x80 /* ACK PSH FIN CWR */, opt);
    struct net_tx_offload o = tso((uint16_t)mss, ihl);
    reset();
    uint32_t frames;
    bool more;
    CHECK_EQ(net_offload_tx(f, len, &o, ALL, (uint8_t[ETH_MAX_FRAME]){0}, emit, NULL, &frames, &more),
             NET_OFFLOAD_OK);
    uint32_t n = (payload + mss - 1) / mss;
    CHECK_EQ(frames, n);
    CHECK_EQ(out.n, n);
    CHECK(more);
    uint32_t at = 0;
    for (uint32_t i = 0; i < n && i < MAXF; i++) {
      const uint8_t *s = out.f[i], *ip = s + 14, *tcp = ip + ihl;
      uint32_t piece = i + 1 < n ? mss : payload - (n - 1) * mss;
      CHECK_EQ(out.len[i], hl + piece);
      CHECK(out.len[i] <= ETH_MAX_FRAME);
      CHECK(memcmp(s, f, 14) == 0);                                /* Ethernet as sent */
      CHECK(memcmp(ip + 12, f + 14 + 12, 8) == 0);                 /* addresses */
      CHECK(memcmp(ip + 20, f + 14 + 20, ihl - 20) == 0);          /* IPv4 options kept */
      CHECK(memcmp(tcp + 20, f + 14 + ihl + 20, 12) == 0);         /* TCP options kept */
      CHECK_EQ(tf_be16(ip + 2), ihl + 32 + piece);
      CHECK_EQ(tf_be16(ip + 4), (uint16_t)(0xfffe + i));
      CHECK_EQ(pkt_be32(tcp + 4), (uint32_t)(0xfffffff0u + i * mss));
      CHECK_EQ(tcp[13], i + 1 < n ? (i == 0 ? 0x90 : 0x10) : 0x19); /* CWR first, PSH FIN last */
      CHECK(memcmp(s + hl, f + hl + at, piece) == 0);
      CHECK(tf_checksums_ok(s, out.len[i]));
      at += piece;
    }
    CHECK_EQ(at, payload);
  }
}

static void test_segment_edges(void)
{
  static uint8_t f[NET_OFFLOAD_MAX_FRAME];
  uint8_t seg[ETH_MAX_FRAME];
  uint32_t frames;
  bool more;
  /* No payload (a bare ACK sent as GSO): one frame, checksums right. */
  uint32_t len = big_tcp(f, 0, 0x10, 0);
  struct net_tx_offload o = tso(1448, 20);
  reset();
  CHECK_EQ(net_offload_tx(f, len, &o, ALL, seg, emit, NULL, &frames, &more), NET_OFFLOAD_OK);
  CHECK(frames == 1 && out.len[0] == 66 && tf_checksums_ok(out.f[0], 66));
  /* The largest request: 64 KiB of IPv4 at the smallest MSS; every segment emitted even after
   * the bridge says stop (the chain is taken), and *more reports it. */
  len = big_tcp(f, 65535 - 52, 0x10, 0);
  o = tso(NET_OFFLOAD_MIN_MSS, 20);
  reset();
  out.stop_at = 3;
  CHECK_EQ(net_offload_tx(f, len, &o, ALL, seg, emit, NULL, &frames, &more), NET_OFFLOAD_OK);
  CHECK_EQ(frames, (65535 - 52 + NET_OFFLOAD_MIN_MSS - 1) / NET_OFFLOAD_MIN_MSS);
  CHECK_EQ(out.n, frames);
  CHECK(!more);
  CHECK(tf_checksums_ok(out.f[MAXF - 1], out.len[MAXF - 1]));
  /* An MSS filling the frame exactly: 14 + 20 + 32 + 1448 = 1514. */
  len = big_tcp(f, 3000, 0x10, 0);
  o = tso(1448, 20);
  reset();
  CHECK_EQ(net_offload_tx(f, len, &o, ALL, seg, emit, NULL, &frames, &more), NET_OFFLOAD_OK);
  CHECK(frames == 3 && out.len[0] == ETH_MAX_FRAME);
}

/* The guest's frame f of len with the checksum left to D0 at [start + off): completed in place. */
static void test_csum_completion(void)
{
  uint8_t f[ETH_MAX_FRAME], seg[ETH_MAX_FRAME];
  uint32_t frames;
  bool more;
  for (uint8_t proto = 6; proto <= 17; proto += 11) {
    for (uint32_t payload = 0; payload < 300; payload += 37) {
      struct tf_spec s = {B_MAC, A_MAC, A_IP, B_IP, proto, 0, 0, 0, 1234, 80, 0x18, 0, payload, false};
      uint32_t len = tf_build(f, &s);
      uint32_t off = proto == 6 ? 16 : 6;
      pkt_put16(f + 34 + off, 0x5555); /* what the guest left there: D0 sums over it */
      /* The field must hold the pseudo-header sum for the completion to be right. */
      uint32_t l4 = (uint32_t)tf_be16(f + 16) - 20;
      uint32_t ps = pkt_sum(pkt_sum(0, A_IP, 4), B_IP, 4) + proto + l4;
      while (ps >> 16)
        ps = (ps & 0xffff) + (ps >> 16);
      pkt_put16(f + 34 + off, (uint16_t)ps);
      struct net_tx_offload o = {VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, (uint16_t)off};
      reset();
      CHECK_EQ(net_offload_tx(f, len, &o, ALL, seg, emit, NULL, &frames, &more), NET_OFFLOAD_OK);
      CHECK(frames == 1 && out.len[0] == len);
      CHECK_MSG(tf_checksums_ok(out.f[0], len), "proto %u payload %u", proto, payload);
    }
  }
  /* UDP whose sum comes out 0 is stored 0xffff (0 would mean "no checksum"). Search a payload
   * word that makes it so. */
  struct tf_spec s = {B_MAC, A_MAC, A_IP, B_IP, 17, 0, 0, 0, 1234, 80, 0, 0, 2, false};
  uint32_t len = tf_build(f, &s);
  bool found = false;
  for (uint32_t w = 0; w < 0x10000 && !found; w++) {
    pkt_put16(f + 42, (uint16_t)w);
    uint32_t ps = pkt_sum(pkt_sum(0, A_IP, 4), B_IP, 4) + 17 + 10;
    while (ps >> 16)
      ps = (ps & 0xffff) + (ps >> 16);
    pkt_put16(f + 40, (uint16_t)ps);
    uint32_t sum = pkt_sum(0, f + 34, 10);
    if (pkt_sum_finish(sum) != 0)
      continue;
    found = true;
    struct net_tx_offload o = {VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 6};
    reset();
    CHECK_EQ(net_offload_tx(f, len, &o, ALL, seg, emit, NULL, &frames, &more), NET_OFFLOAD_OK);
    CHECK_EQ(tf_be16(out.f[0] + 40), 0xffff);
    CHECK(tf_checksums_ok(out.f[0], len));
  }
  CHECK(found);
  /* No offload: the frame passes as it is. */
  struct net_tx_offload none = {0};
  reset();
  CHECK_EQ(net_offload_tx(f, len, &none, (struct net_offload_caps){false, false}, seg, emit, NULL,
                          &frames, &more),
           NET_OFFLOAD_OK);
  CHECK(frames == 1 && memcmp(out.f[0], f, len) == 0);
}

static void test_refusals(void)
{
  static uint8_t f[NET_OFFLOAD_MAX_FRAME + 16];
  uint8_t seg[ETH_MAX_FRAME];
  uint32_t frames;
  bool more;
  uint32_t len = big_tcp(f, 5000, 0x10, 0);
  struct {
    const char *what;
    struct net_tx_offload o;
    struct net_offload_caps caps;
    uint32_t len;
    enum net_offload_err want;
  } bad[] = {
      {"csum not negotiated", {1, 0, 0, 34, 16}, {false, false}, 200, NET_OFFLOAD_NOT_NEGOTIATED},
      {"tso not negotiated", tso(1448, 20), {true, false}, len, NET_OFFLOAD_NOT_NEGOTIATED},
      {"csum start past the end", {1, 0, 0, 200, 0}, ALL, 200, NET_OFFLOAD_BAD_CSUM},
      {"csum field past the end", {1, 0, 0, 34, 165}, ALL, 200, NET_OFFLOAD_BAD_CSUM},
      {"csum start at the last byte", {1, 0, 0, 199, 0}, ALL, 200, NET_OFFLOAD_BAD_CSUM},
      {"csum offset huge", {1, 0, 0, 34, 0xffff}, ALL, 200, NET_OFFLOAD_BAD_CSUM},
      {"gso without NEEDS_CSUM", {0, 1, 1448, 34, 16}, ALL, len, NET_OFFLOAD_BAD_GSO},
      {"gso with ECN", {1, 0x81, 1448, 34, 16}, ALL, len, NET_OFFLOAD_BAD_GSO},
      {"gso UDP", {1, 3, 1448, 34, 6}, ALL, len, NET_OFFLOAD_BAD_GSO},
      {"gso TCPv6", {1, 4, 1448, 34, 16}, ALL, len, NET_OFFLOAD_BAD_GSO},
      {"MSS 0", tso(0, 20), ALL, len, NET_OFFLOAD_BAD_GSO},
      {"MSS under the minimum", tso(NET_OFFLOAD_MIN_MSS - 1, 20), ALL, len, NET_OFFLOAD_BAD_GSO},
      {"MSS making segments too big", tso(1449, 20), ALL, len, NET_OFFLOAD_TOO_BIG},
      {"gso csum start not TCP's", {1, 1, 1448, 35, 16}, ALL, len, NET_OFFLOAD_BAD_CSUM},
      {"gso csum offset not TCP's", {1, 1, 1448, 34, 6}, ALL, len, NET_OFFLOAD_BAD_CSUM},
      {"gso truncated headers", tso(1448, 20), ALL, 60, NET_OFFLOAD_NOT_TCP4},
      {"gso frame over 64 KiB", tso(1448, 20), ALL, NET_OFFLOAD_MAX_FRAME + 1, NET_OFFLOAD_TOO_BIG},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset();
    CHECK_MSG(net_offload_tx(f, bad[i].len, &bad[i].o, bad[i].caps, seg, emit, NULL, &frames, &more) ==
                  bad[i].want,
              "%s", bad[i].what);
    CHECK_MSG(out.n == 0 && frames == 0, "%s: emitted %u", bad[i].what, out.n);
  }
  /* Segmentation of what is not TCP over IPv4: each header field in turn. */
  struct {
    const char *what;
    uint32_t at;
    uint8_t v;
  } notcp[] = {
      {"ethertype ARP", 13, 0x06}, {"IPv6 version", 14, 0x65}, {"IHL 4", 14, 0x44},
      {"UDP", 23, 17},             {"MF set", 20, 0x20},       {"fragment offset", 21, 1},
      {"TCP data offset 4", 46, 0x40}, {"TCP data offset past the end", 46, 0xf0},
      {"IHL past the end", 14, 0x4f},
  };
  for (size_t i = 0; i < sizeof notcp / sizeof notcp[0]; i++) {
    uint32_t l = big_tcp(f, 10, 0x10, 0);
    f[notcp[i].at] = notcp[i].v;
    uint32_t cut = notcp[i].at == 46 && notcp[i].v == 0xf0 ? 80 : notcp[i].at == 14 && notcp[i].v == 0x4f ? 70 : l;
    struct net_tx_offload o = tso(1448, 20);
    reset();
    CHECK_MSG(net_offload_tx(f, cut, &o, ALL, seg, emit, NULL, &frames, &more) == NET_OFFLOAD_NOT_TCP4,
              "%s", notcp[i].what);
    CHECK_MSG(out.n == 0, "%s", notcp[i].what);
  }
  CHECK(strcmp(net_offload_err_name(NET_OFFLOAD_BAD_GSO), "offload-bad-gso") == 0);
}

static void test_header(void)
{
  const uint8_t h[10] = {1, 1, 0x42, 0, 0xa8, 0x05, 0x22, 0, 0x10, 0};
  struct net_tx_offload o = net_offload_from_hdr(h);
  CHECK(o.flags == 1 && o.gso_type == 1 && o.gso_size == 1448 && o.csum_start == 34 &&
        o.csum_offset == 16);
}

void run_offload_tests(void)
{
  RUN(test_header);
  RUN(test_segments);
  RUN(test_segment_edges);
  RUN(test_csum_completion);
  RUN(test_refusals);
}
