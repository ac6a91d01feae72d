/*
 * Host tests of ACK thinning (kernel/net/ack_thin.c): which ACKs a newer one supersedes, which
 * always pass (duplicate ACKs, a smaller window, SACK, flags, a payload, a bad checksum, IP
 * options, CE), the order of a connection's frames, connections apart, the slot bound and the
 * flush order. Frames are built here with frames.c's own checksum.
 */
#include <string.h>

#include "check.h"
#include "frames.h"
#include "net/ack_thin.h"
#include "net/pkt.h"
#include "tests.h"

static const uint8_t PEER_IP[4] = {10, 0, 2, 2}, D0_IP[4] = {10, 0, 2, 15};

struct ack_spec {
  uint16_t sport;   /* the peer's port; 0 = 80 */
  uint32_t seq, ack;
  uint16_t win;     /* 0 = 1000 */
  uint8_t flags;    /* 0 = ACK */
  bool ts;          /* a timestamp option (NOP, NOP, TS) */
  uint32_t tsval, tsecr;
  bool sack;        /* a SACK block (NOP, NOP, SACK 10) */
  uint32_t payload; /* bytes after the header */
  uint8_t tos;
  bool ip_options;  /* one word of IPv4 options (NOPs) */
};

/* Builds the frame the peer sends (its checksums right, padded to 60); its length. */
static uint32_t ack_frame(uint8_t *f, const struct ack_spec *s)
{
  uint32_t ihl = s->ip_options ? 24 : 20;
  uint32_t opt = (s->ts ? 12u : 0u) + (s->sack ? 12u : 0u), doff = 20 + opt;
  uint32_t total = ihl + doff + s->payload, len = 14 + total < 60 ? 60 : 14 + total;
  memset(f, 0, len);
  memset(f, 0x52, 6), memset(f + 6, 0x02, 6);
  f[12] = 0x08;
  uint8_t *ip = f + 14, *t = ip + ihl;
  ip[0] = (uint8_t)(0x40 | ihl / 4), ip[1] = s->tos;
  tf_put16(ip + 2, (uint16_t)total);
  ip[8] = 64, ip[9] = 6;
  memcpy(ip + 12, PEER_IP, 4), memcpy(ip + 16, D0_IP, 4);
  for (uint32_t i = 20; i < ihl; i++)
    ip[i] = 1;
  tf_put16(ip + 10, tf_csum(ip, ihl));
  tf_put16(t, s->sport ? s->sport : 80), tf_put16(t + 2, 40000);
  pkt_put32(t + 4, s->seq), pkt_put32(t + 8, s->ack);
  t[12] = (uint8_t)(doff / 4 << 4);
  t[13] = s->flags ? s->flags : TCP_ACK;
  tf_put16(t + 14, s->win ? s->win : 1000);
  uint8_t *o = t + 20;
  if (s->ts) {
    o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
    pkt_put32(o + 4, s->tsval), pkt_put32(o + 8, s->tsecr);
    o += 12;
  }
  if (s->sack) {
    o[0] = 1, o[1] = 1, o[2] = 5, o[3] = 10;
    pkt_put32(o + 4, s->ack + 1000), pkt_put32(o + 8, s->ack + 2000);
  }
  for (uint32_t i = 0; i < s->payload; i++)
    t[doff + i] = (uint8_t)i;
  /* TCP checksum: pseudo-header (src, dst, 0, 6, length) + segment. */
  uint8_t pseudo[12 + 1514];
  memcpy(pseudo, PEER_IP, 4), memcpy(pseudo + 4, D0_IP, 4);
  pseudo[8] = 0, pseudo[9] = 6;
  tf_put16(pseudo + 10, (uint16_t)(doff + s->payload));
  memcpy(pseudo + 12, t, doff + s->payload);
  tf_put16(t + 16, tf_csum(pseudo, 12 + doff + s->payload));
  return len;
}

#define MAXOUT 64
static struct {
  uint8_t f[MAXOUT][1514];
  uint32_t len[MAXOUT], n;
} out;

static void collect(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  if (out.n < MAXOUT && len <= 1514) {
    memcpy(out.f[out.n], frame, len);
    out.len[out.n] = len;
  }
  out.n++;
}

static struct ackthin T;

static void reset(void)
{
  memset(&out, 0, sizeof out);
  memset(&T, 0, sizeof T);
}

static void offer(const struct ack_spec *s)
{
  uint8_t f[1514];
  uint32_t n = ack_frame(f, s);
  ackthin_offer(&T, f, n, collect, NULL);
}

static uint32_t out_ack(uint32_t i) /* the acknowledgement number of output i */
{
  const uint8_t *t = out.f[i] + 14 + (uint32_t)(out.f[i][14] & 0xf) * 4;
  return (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
}

static uint16_t out_sport(uint32_t i) { return tf_be16(out.f[i] + 14 + (uint32_t)(out.f[i][14] & 0xf) * 4); }

static void test_newer_ack_supersedes(void)
{
  reset();
  for (uint32_t k = 1; k <= 5; k++)
    offer(&(struct ack_spec){.seq = 7, .ack = 1000 * k});
  CHECK_EQ(out.n, 0u); /* held until the batch ends */
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 1u);
  CHECK_EQ(out_ack(0), 5000u);
  CHECK_EQ(T.thinned, 4u);
  CHECK(tf_checksums_ok(out.f[0], out.len[0])); /* passed on as received */
  /* The acknowledgement number wraps (RFC 1982 order). */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 0xfffffff0u});
  offer(&(struct ack_spec){.seq = 7, .ack = 0x10});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 1u);
  CHECK_EQ(out_ack(0), 0x10u);
  /* A larger window with the larger ACK: superseded. */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 100, .win = 500});
  offer(&(struct ack_spec){.seq = 7, .ack = 200, .win = 900});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 1u);
}

static void test_what_always_passes(void)
{
  /* A duplicate ACK (equal number: fast retransmit counts them): every one arrives. */
  reset();
  for (uint32_t k = 0; k < 4; k++)
    offer(&(struct ack_spec){.seq = 7, .ack = 3000});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 4u);
  CHECK_EQ(T.thinned, 0u);
  /* An older ACK after a newer one (reordered): both. */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 3000});
  offer(&(struct ack_spec){.seq = 7, .ack = 2000});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  CHECK_EQ(out_ack(0), 3000u);
  CHECK_EQ(out_ack(1), 2000u);
  /* A smaller window: the older is not redundant. */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 100, .win = 900});
  offer(&(struct ack_spec){.seq = 7, .ack = 200, .win = 500});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  /* A different sequence number (the peer sent data between). */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 100});
  offer(&(struct ack_spec){.seq = 8, .ack = 200});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  /* Never held, each passed at once: SACK, a payload, flags beyond ACK, IP options, CE, and a
   * bad checksum; a held ACK of the same connection goes out before it. */
  const struct ack_spec never[] = {
      {.seq = 7, .ack = 300, .sack = true},
      {.seq = 7, .ack = 300, .payload = 1},
      {.seq = 7, .ack = 300, .flags = TCP_ACK | 0x08},
      {.seq = 7, .ack = 300, .flags = TCP_ACK | TCP_FIN},
      {.seq = 7, .ack = 300, .flags = TCP_ACK | 0x40},
      {.seq = 7, .ack = 300, .flags = TCP_ACK | 0x80},
      {.seq = 7, .ack = 300, .ip_options = true},
      {.seq = 7, .ack = 300, .tos = 3},
  };
  for (uint32_t i = 0; i < sizeof never / sizeof never[0]; i++) {
    reset();
    offer(&(struct ack_spec){.seq = 7, .ack = 100});
    offer(&never[i]);
    CHECK_MSG(out.n == 2, "case %u: %u out", i, out.n);
    CHECK_EQ(out_ack(0), 100u);
    CHECK_EQ(out_ack(1), 300u);
    ackthin_flush(&T, collect, NULL);
    CHECK_EQ(out.n, 2u);
    CHECK_EQ(T.thinned, 0u);
  }
  reset();
  uint8_t f[1514];
  offer(&(struct ack_spec){.seq = 7, .ack = 100});
  uint32_t n = ack_frame(f, &(struct ack_spec){.seq = 7, .ack = 300});
  f[14 + 20 + 16] ^= 0x40; /* the TCP checksum */
  ackthin_offer(&T, f, n, collect, NULL);
  CHECK_EQ(out.n, 2u);
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  CHECK_EQ(T.thinned, 0u);
}

static void test_timestamps(void)
{
  /* Both with timestamps, neither older: superseded. */
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 100, .ts = true, .tsval = 50, .tsecr = 9});
  offer(&(struct ack_spec){.seq = 7, .ack = 200, .ts = true, .tsval = 50, .tsecr = 10});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 1u);
  CHECK_EQ(out_ack(0), 200u);
  /* An older TSval or TSecr in the newer ACK, or only one of them with a timestamp: both. */
  const struct ack_spec second[] = {
      {.seq = 7, .ack = 200, .ts = true, .tsval = 49, .tsecr = 10},
      {.seq = 7, .ack = 200, .ts = true, .tsval = 50, .tsecr = 8},
      {.seq = 7, .ack = 200},
  };
  for (uint32_t i = 0; i < 3; i++) {
    reset();
    offer(&(struct ack_spec){.seq = 7, .ack = 100, .ts = true, .tsval = 50, .tsecr = 9});
    offer(&second[i]);
    ackthin_flush(&T, collect, NULL);
    CHECK_MSG(out.n == 2, "case %u", i);
  }
  reset();
  offer(&(struct ack_spec){.seq = 7, .ack = 100});
  offer(&(struct ack_spec){.seq = 7, .ack = 200, .ts = true, .tsval = 1, .tsecr = 1});
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
}

static void test_connections_apart_and_bounded(void)
{
  /* Two connections interleaved: each thinned on its own; flushed in the order first held. */
  reset();
  for (uint32_t k = 1; k <= 3; k++) {
    offer(&(struct ack_spec){.sport = 81, .seq = 1, .ack = 10 * k});
    offer(&(struct ack_spec){.sport = 82, .seq = 1, .ack = 100 * k});
  }
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  CHECK_EQ(out_sport(0), 81);
  CHECK_EQ(out_ack(0), 30u);
  CHECK_EQ(out_sport(1), 82);
  CHECK_EQ(out_ack(1), 300u);
  /* More connections than slots: the oldest held goes out to make room, nothing is lost. */
  reset();
  for (uint32_t c = 0; c < ACKTHIN_SLOTS + 3; c++)
    offer(&(struct ack_spec){.sport = (uint16_t)(1000 + c), .seq = 1, .ack = 5});
  CHECK_EQ(out.n, 3u);
  CHECK_EQ(out_sport(0), 1000);
  CHECK_EQ(out_sport(2), 1002);
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, ACKTHIN_SLOTS + 3);
  for (uint32_t i = 0; i < out.n; i++)
    CHECK_EQ(out_sport(i), 1000 + i);
  /* Not TCP over IPv4 (ARP, UDP, a runt): passed at once, holding nothing. */
  reset();
  uint8_t f[1514] = {0};
  f[12] = 0x08, f[13] = 0x06;
  ackthin_offer(&T, f, 60, collect, NULL);
  ackthin_offer(&T, f, 3, collect, NULL);
  CHECK_EQ(out.n, 2u);
  /* Frames of other connections do not push a held ACK out. */
  reset();
  offer(&(struct ack_spec){.sport = 81, .seq = 1, .ack = 10});
  offer(&(struct ack_spec){.sport = 82, .seq = 1, .ack = 10, .payload = 100});
  CHECK_EQ(out.n, 1u);
  CHECK_EQ(out_sport(0), 82);
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 2u);
  /* Flushed, the slots are free again: the next batch starts empty. */
  offer(&(struct ack_spec){.sport = 81, .seq = 1, .ack = 20});
  CHECK_EQ(out.n, 2u);
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 3u);
  ackthin_flush(&T, collect, NULL);
  CHECK_EQ(out.n, 3u);
}

void run_ack_thin_tests(void)
{
  RUN(test_newer_ack_supersedes);
  RUN(test_what_always_passes);
  RUN(test_timestamps);
  RUN(test_connections_apart_and_bounded);
}
