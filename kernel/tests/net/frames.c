/* Test frames (contract in frames.h). */
#include "frames.h"

#include <string.h>

uint16_t tf_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
void tf_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

uint16_t tf_csum(const uint8_t *p, uint32_t n)
{
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++)
    sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
  while (sum > 0xffff)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* The TCP/UDP checksum over a pseudo-header and the segment with its checksum field zeroed. */
static uint16_t l4_csum(const uint8_t *ip, const uint8_t *l4, uint32_t n, uint32_t field)
{
  static uint8_t tmp[12 + 1514];
  memcpy(tmp, ip + 12, 8);
  tmp[8] = 0, tmp[9] = ip[9];
  tf_put16(tmp + 10, (uint16_t)n);
  memcpy(tmp + 12, l4, n);
  tmp[12 + field] = tmp[13 + field] = 0;
  uint16_t c = tf_csum(tmp, 12 + n);
  return ip[9] == 17 && c == 0 ? 0xffff : c;
}

static uint32_t ip4(uint8_t *f, const struct tf_spec *s, uint32_t l4_len)
{
  uint32_t ihl = 20 + 4 * s->opt_words, total = ihl + l4_len;
  memset(f, 0, 14 + total < 60 ? 60 : 14 + total);
  memcpy(f, s->dmac, 6);
  memcpy(f + 6, s->smac, 6);
  tf_put16(f + 12, 0x0800);
  uint8_t *ip = f + 14;
  ip[0] = (uint8_t)(0x40 | ihl / 4);
  tf_put16(ip + 2, (uint16_t)total);
  tf_put16(ip + 4, 0x4242);
  tf_put16(ip + 6, s->frag);
  ip[8] = s->ttl ? s->ttl : 64;
  ip[9] = s->proto;
  memcpy(ip + 12, s->src, 4);
  memcpy(ip + 16, s->dst, 4);
  memset(ip + 20, 1, ihl - 20);
  tf_put16(ip + 10, tf_csum(ip, ihl));
  return ihl;
}

uint32_t tf_build(uint8_t *f, const struct tf_spec *s)
{
  uint32_t hdr = s->proto == 6 ? 20 : s->proto == 17 || s->proto == 1 ? 8 : 0;
  uint32_t l4_len = hdr + s->payload_len;
  uint32_t ihl = ip4(f, s, l4_len);
  uint8_t *ip = f + 14, *l4 = ip + ihl;
  for (uint32_t i = 0; i < s->payload_len; i++)
    l4[hdr + i] = (uint8_t)(i * 13 + 5);
  if (s->proto == 6) {
    tf_put16(l4, s->sport);
    tf_put16(l4 + 2, s->dport);
    l4[4] = 0x11, l4[7] = 0x22; /* sequence and ack numbers: any */
    l4[12] = 5 << 4;
    l4[13] = s->tcp_flags;
    tf_put16(l4 + 14, 0xffff);
    tf_put16(l4 + 16, l4_csum(ip, l4, l4_len, 16));
  } else if (s->proto == 17) {
    tf_put16(l4, s->sport);
    tf_put16(l4 + 2, s->dport);
    tf_put16(l4 + 4, (uint16_t)l4_len);
    tf_put16(l4 + 6, s->udp_no_csum ? 0 : l4_csum(ip, l4, l4_len, 6));
  } else if (s->proto == 1) {
    l4[0] = s->icmp_type;
    tf_put16(l4 + 4, s->sport);
    tf_put16(l4 + 6, 1);
    tf_put16(l4 + 2, tf_csum(l4, l4_len));
  }
  uint32_t n = 14 + ihl + l4_len;
  return n < 60 ? 60 : n;
}

uint32_t tf_icmp_error(uint8_t *f, const struct tf_spec *s, uint8_t type, uint8_t code,
                       const uint8_t *quote, uint32_t qlen)
{
  struct tf_spec o = *s;
  o.proto = 1;
  uint32_t ihl = ip4(f, &o, 8 + qlen);
  uint8_t *icmp = f + 14 + ihl;
  icmp[0] = type, icmp[1] = code;
  memcpy(icmp + 8, quote, qlen);
  tf_put16(icmp + 2, tf_csum(icmp, 8 + qlen));
  uint32_t n = 14 + ihl + 8 + qlen;
  return n < 60 ? 60 : n;
}

/* Stored and computed checksums agree: equal, or the two ones' complement zeros (RFC 1624
 * updates may leave either). */
static bool same(uint16_t stored, uint16_t computed)
{
  return stored == computed || ((stored ^ computed) == 0xffff && (stored == 0 || computed == 0));
}

bool tf_checksums_ok(const uint8_t *f, uint32_t len)
{
  if (len < 34 || tf_be16(f + 12) != 0x0800)
    return false;
  const uint8_t *ip = f + 14;
  uint32_t ihl = (ip[0] & 0xfu) * 4, total = tf_be16(ip + 2);
  if (ip[0] >> 4 != 4 || ihl < 20 || total < ihl || 14 + total > len)
    return false;
  uint8_t h[60];
  memcpy(h, ip, ihl);
  h[10] = h[11] = 0;
  if (!same(tf_be16(ip + 10), tf_csum(h, ihl)))
    return false;
  if (tf_be16(ip + 6) & 0x3fff)
    return true;
  const uint8_t *l4 = ip + ihl;
  uint32_t n = total - ihl;
  switch (ip[9]) {
  case 6: return n >= 20 && same(tf_be16(l4 + 16), l4_csum(ip, l4, n, 16));
  case 17: /* 0 is "none", so a computed 0 must be stored as 0xffff: exact */
    return n >= 8 && (tf_be16(l4 + 6) == 0 || l4_csum(ip, l4, n, 6) == tf_be16(l4 + 6));
  case 1: {
    static uint8_t tmp[1514];
    if (n < 8)
      return false;
    memcpy(tmp, l4, n);
    tmp[2] = tmp[3] = 0;
    return same(tf_be16(l4 + 2), tf_csum(tmp, n));
  }
  default: return true;
  }
}
