/* Header views and the Internet checksum (contract in pkt.h). */
#include "net/pkt.h"

#include "d0/lib.h"

uint32_t pkt_sum(uint32_t sum, const uint8_t *p, uint32_t n)
{
  /* Eight bytes a step, read as one little-endian word whose two 32-bit halves are added in 64
   * bits (no carry is lost before 2^32 steps). A ones' complement sum does not depend on byte
   * order (RFC 1071 2(B)): folded to 16 bits, the sum of little-endian words is the big-endian
   * sum with its two bytes swapped. Every frame D0 checksums (segmentation, NAT) goes through
   * here, and an emulated CPU (the tests' QEMU TCG) pays per instruction: a quarter of the steps
   * of a 16-bit loop (bench/net/README.md). The result is the sum modulo 0xffff, folded. */
  uint64_t acc = 0;
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    __builtin_memcpy(&w, p + i, 8); /* one unaligned load, even under -fno-builtin */
    acc += (w & 0xffffffffu) + (w >> 32);
  }
  for (; i + 1 < n; i += 2)
    acc += (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
  if (n & 1)
    acc += p[n - 1]; /* the high half of a big-endian word padded with zero */
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  uint32_t le = (uint32_t)acc;
  le = (le & 0xffff) + (le >> 16);
  le = (le & 0xffff) + (le >> 16);
  uint32_t be = (le & 0xffu) << 8 | le >> 8;
  return (sum & 0xffff) + (sum >> 16) + be;
}

uint16_t pkt_sum_finish(uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

uint16_t pkt_csum(const uint8_t *p, uint32_t n) { return pkt_sum_finish(pkt_sum(0, p, n)); }

void pkt_csum_update16(uint8_t *field, uint16_t old, uint16_t new_)
{
  uint32_t sum = (uint32_t)(uint16_t)~pkt_be16(field) + (uint16_t)~old + new_;
  pkt_put16(field, pkt_sum_finish(sum));
}

void pkt_csum_update32(uint8_t *field, const uint8_t old[4], const uint8_t new_[4])
{
  pkt_csum_update16(field, pkt_be16(old), pkt_be16(new_));
  pkt_csum_update16(field, pkt_be16(old + 2), pkt_be16(new_ + 2));
}

uint32_t pkt_l4_csum_offset(uint8_t proto)
{
  switch (proto) {
  case IP_PROTO_TCP: return 16;
  case IP_PROTO_UDP: return 6;
  case IP_PROTO_ICMP: return 2;
  default: return 0;
  }
}

static uint32_t pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t l4_len)
{
  uint32_t sum = pkt_sum(0, src, 4);
  sum = pkt_sum(sum, dst, 4);
  return sum + proto + l4_len;
}

uint16_t pkt_l4_csum(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const uint8_t *l4,
                     uint32_t l4_len)
{
  /* The segment as it is, minus the stored checksum (adding its complement): the value the
   * field must hold. */
  uint32_t off = pkt_l4_csum_offset(proto);
  uint32_t sum = pkt_sum(pseudo_sum(src, dst, proto, l4_len), l4, l4_len);
  sum += (uint16_t)~pkt_be16(l4 + off);
  uint16_t c = pkt_sum_finish(sum);
  return proto == IP_PROTO_UDP && c == 0 ? 0xffff : c;
}

enum pkt_status pkt_l4_check(const struct pkt_ip4 *ip)
{
  const uint8_t *l4 = ip->l4;
  uint32_t n = ip->l4_len;
  switch (ip->proto) {
  case IP_PROTO_TCP: {
    if (n < TCP_MIN_HDR)
      return PKT_MALFORMED;
    uint32_t doff = (uint32_t)(l4[12] >> 4) * 4;
    if (doff < TCP_MIN_HDR || doff > n)
      return PKT_MALFORMED;
    break;
  }
  case IP_PROTO_UDP:
    if (n < UDP_HDR || pkt_be16(l4 + 4) != n)
      return PKT_MALFORMED;
    if (pkt_be16(l4 + 6) == 0)
      return PKT_OK; /* no checksum */
    break;
  case IP_PROTO_ICMP:
    if (n < ICMP_HDR || pkt_csum(l4, n) != 0)
      return PKT_MALFORMED;
    return PKT_OK;
  default:
    return PKT_OK;
  }
  uint32_t sum = pkt_sum(pseudo_sum(ip->hdr + PKT_IP4_SRC, ip->hdr + PKT_IP4_DST, ip->proto, n), l4, n);
  return pkt_sum_finish(sum) == 0 ? PKT_OK : PKT_MALFORMED;
}

enum pkt_status pkt_ip4_parse(uint8_t *frame, uint32_t len, struct pkt_ip4 *ip)
{
  if (frame == 0 || len < ETH_HDR + IP4_MIN_HDR)
    return PKT_MALFORMED;
  uint8_t *h = frame + ETH_HDR;
  uint32_t avail = len - ETH_HDR, ihl = (uint32_t)(h[0] & 0xf) * 4, total = pkt_be16(h + 2);
  if (h[0] >> 4 != 4 || ihl < IP4_MIN_HDR || total < ihl || total > avail || pkt_csum(h, ihl) != 0)
    return PKT_MALFORMED;
  ip->hdr = h;
  ip->ihl = ihl;
  ip->total = total;
  ip->proto = h[9];
  ip->fragment = (pkt_be16(h + 6) & (IP4_FLAG_MF | IP4_FRAG_OFF)) != 0;
  ip->l4 = h + ihl;
  ip->l4_len = total - ihl;
  if (ip->fragment)
    return PKT_FRAGMENT;
  return pkt_l4_check(ip);
}

/* The L4 checksum changed by one 16-bit word of what it covers, with UDP's zero rule. */
static void l4_csum_update16(struct pkt_ip4 *ip, uint16_t old, uint16_t new_)
{
  uint8_t *field = ip->l4 + pkt_l4_csum_offset(ip->proto);
  if (ip->proto == IP_PROTO_UDP && pkt_be16(field) == 0)
    return;
  pkt_csum_update16(field, old, new_);
  if (ip->proto == IP_PROTO_UDP && pkt_be16(field) == 0)
    pkt_put16(field, 0xffff);
}

void pkt_ip4_set_addr(struct pkt_ip4 *ip, uint32_t which, const uint8_t addr[4])
{
  uint8_t *at = ip->hdr + which;
  pkt_csum_update32(ip->hdr + 10, at, addr);
  if (!ip->fragment && (ip->proto == IP_PROTO_TCP || ip->proto == IP_PROTO_UDP)) {
    l4_csum_update16(ip, pkt_be16(at), pkt_be16(addr));
    l4_csum_update16(ip, pkt_be16(at + 2), pkt_be16(addr + 2));
  }
  memcpy(at, addr, 4);
}

void pkt_l4_set16(struct pkt_ip4 *ip, uint32_t off, uint16_t v)
{
  uint16_t old = pkt_be16(ip->l4 + off);
  pkt_put16(ip->l4 + off, v);
  if (ip->proto == IP_PROTO_TCP || ip->proto == IP_PROTO_UDP || ip->proto == IP_PROTO_ICMP)
    l4_csum_update16(ip, old, v);
}

void pkt_ip4_dec_ttl(struct pkt_ip4 *ip)
{
  /* The TTL is the high byte of the word it shares with the protocol. */
  uint16_t old = pkt_be16(ip->hdr + 8);
  ip->hdr[8]--;
  pkt_csum_update16(ip->hdr + 10, old, pkt_be16(ip->hdr + 8));
}

const uint8_t *pkt_arp(const uint8_t *frame, uint32_t len)
{
  if (frame == 0 || len < ETH_HDR + ARP_LEN)
    return 0;
  const uint8_t *p = frame + ETH_HDR;
  if (pkt_be16(p) != 1 || pkt_be16(p + 2) != ETHERTYPE_IPV4 || p[4] != ETH_ALEN || p[5] != 4)
    return 0;
  return p;
}

bool pkt_ip4_in_net(const uint8_t addr[4], const uint8_t net[4], uint8_t prefix)
{
  if (prefix > 32)
    return false;
  for (uint32_t i = 0; i < 4; i++) {
    uint32_t bits = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
    uint8_t mask = (uint8_t)(0xff00u >> bits);
    if ((addr[i] ^ net[i]) & mask)
      return false;
  }
  return true;
}

bool pkt_unicast_mac(const uint8_t mac[ETH_ALEN])
{
  static const uint8_t zero[ETH_ALEN];
  return !(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN) != 0;
}
