/*
 * libFuzzer target: any sequence of received frames through ACK thinning (kernel/net/ack_thin.c),
 * with batch ends between them. Records: a byte k; k & 0x80: the batch ends (ackthin_flush);
 * else k & 1: a well-formed pure ACK built from the next 9 bytes (port choice, sequence,
 * acknowledgement and window low bytes, a timestamp and its values), so that supersession is
 * reached; else a raw frame: 2 length bytes (mod 1515) and that many bytes.
 * Invariants beyond "no crash, no sanitizer report": every frame passed on is one that was
 * offered, byte for byte, and each offered frame is passed on at most once; a connection's frames
 * come out in the order they went in; after the last flush, every offered frame was passed on or
 * counted as thinned (nothing lost, nothing made up); a flush leaves nothing held.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/ack_thin.h"
#include "net/pkt.h"

#define MAXF 48

static struct {
  uint8_t f[MAXF][ETH_MAX_FRAME];
  uint32_t len[MAXF], n;
  bool out[MAXF];
} in;

static uint32_t passed;

/* The connection of a frame as the fuzzer sees it (independent of ack_thin.c): IPv4 TCP
 * addresses and ports, or all zero. */
static void conn(const uint8_t *f, uint32_t len, uint8_t key[12])
{
  memset(key, 0, 12);
  if (len < 34 || f[12] != 0x08 || f[13] != 0 || f[14 + 9] != 6)
    return;
  uint32_t ihl = (uint32_t)(f[14] & 0xf) * 4;
  if (ihl < 20 || len < 14 + ihl + 4)
    return;
  memcpy(key, f + 14 + 12, 8);
  memcpy(key + 8, f + 14 + ihl, 4);
}

/* Whether a frame of connection key offered after i has been passed on already. */
static bool later_out(uint32_t i, const uint8_t key[12])
{
  static const uint8_t none[12];
  uint8_t other[12];
  if (memcmp(key, none, 12) == 0)
    return false; /* not TCP: no order to keep */
  for (uint32_t j = i + 1; j < in.n; j++) {
    conn(in.f[j], in.len[j], other);
    if (in.out[j] && memcmp(key, other, 12) == 0)
      return true;
  }
  return false;
}

static void collect(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  uint8_t key[12];
  conn(frame, len, key);
  /* The earliest offered frame with these bytes, not passed on yet, that may go now (no later
   * frame of its connection out before it). Identical frames may be offered more than once. */
  uint32_t i = 0;
  for (; i < in.n; i++)
    if (!in.out[i] && in.len[i] == len && memcmp(in.f[i], frame, len) == 0 && !later_out(i, key))
      break;
  if (i == in.n)
    abort(); /* made up, passed on twice, or out of its connection's order */
  in.out[i] = true;
  passed++;
}

/* A valid pure ACK from 9 bytes; its length. */
static uint32_t planted(uint8_t *f, const uint8_t *b)
{
  uint32_t doff = (b[0] & 0x10) ? 32 : 20, total = 20 + doff, len = 14 + total < 60 ? 60 : 14 + total;
  memset(f, 0, len);
  f[12] = 0x08;
  uint8_t *ip = f + 14, *t = ip + 20;
  ip[0] = 0x45;
  pkt_put16(ip + 2, (uint16_t)total);
  ip[8] = 64, ip[9] = 6;
  ip[12] = 10, ip[15] = (uint8_t)(b[0] & 1), ip[16] = 10, ip[19] = 15;
  pkt_put16(ip + 10, pkt_csum(ip, 20));
  pkt_put16(t, (uint16_t)(80 + (b[0] >> 1 & 3))), pkt_put16(t + 2, 40000);
  pkt_put32(t + 4, b[1] & 3);
  pkt_put32(t + 8, (uint32_t)b[2] << 24 | b[3]);
  t[12] = (uint8_t)(doff / 4 << 4), t[13] = TCP_ACK;
  pkt_put16(t + 14, b[4]);
  if (doff == 32) {
    t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10;
    pkt_put32(t + 24, b[5] | (uint32_t)b[6] << 24), pkt_put32(t + 28, b[7] | (uint32_t)b[8] << 24);
  }
  pkt_put16(t + 16, pkt_l4_csum(ip + 12, ip + 16, 6, t, doff));
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct ackthin t;
  memset(&t, 0, sizeof t);
  memset(&in, 0, sizeof in);
  passed = 0;
  size_t at = 0;
  while (at < size && in.n < MAXF) {
    uint8_t k = data[at++];
    if (k & 0x80) {
      ackthin_flush(&t, collect, NULL);
      for (uint32_t i = 0; i < ACKTHIN_SLOTS; i++)
        if (t.slot[i].used)
          abort();
      continue;
    }
    uint8_t *f = in.f[in.n];
    uint32_t len;
    if (k & 1) {
      if (size - at < 9)
        break;
      len = planted(f, data + at);
      at += 9;
    } else {
      if (size - at < 2)
        break;
      len = (uint32_t)(data[at] | data[at + 1] << 8) % (ETH_MAX_FRAME + 1);
      at += 2;
      if (size - at < len)
        len = (uint32_t)(size - at);
      memcpy(f, data + at, len);
      at += len;
    }
    in.len[in.n++] = len;
    ackthin_offer(&t, f, len, collect, NULL);
  }
  ackthin_flush(&t, collect, NULL);
  if (passed + t.thinned != in.n)
    abort();
  return 0;
}
