/* D0's own address on the uplink: ARP and ICMP echo (contract in own_addr.h). */
#include "dev/net/own_addr.h"

#include "d0/lib.h"

/* Ethernet II (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792): header constants
 * in net/pkt.h. */
#define REPLY_TTL 64

static const uint8_t BROADCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void own_addr_init(struct own_addr *a, const struct own_addr_cfg *cfg)
{
  memset(a, 0, sizeof(*a));
  a->cfg = *cfg;
}

static void eth_header(uint8_t *out, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
  memcpy(out, dst, ETH_ALEN);
  memcpy(out + ETH_ALEN, src, ETH_ALEN);
  pkt_put16(out + 12, type);
}

/* An Ethernet/IPv4 ARP packet of op from D0 to (tha, tpa), padded to ETH_MIN_FRAME. */
static uint32_t arp_frame(const struct own_addr *a, uint8_t *out, uint16_t op, const uint8_t *eth_dst,
                          const uint8_t *tha, const uint8_t *tpa)
{
  memset(out, 0, ETH_MIN_FRAME);
  eth_header(out, eth_dst, a->cfg.mac, ETHERTYPE_ARP);
  uint8_t *p = out + ETH_HDR;
  pkt_put16(p, 1);              /* htype: Ethernet */
  pkt_put16(p + 2, ETHERTYPE_IPV4);
  p[4] = ETH_ALEN, p[5] = 4;
  pkt_put16(p + 6, op);
  memcpy(p + 8, a->cfg.mac, ETH_ALEN);
  memcpy(p + 14, a->cfg.ip, 4);
  memcpy(p + 18, tha, ETH_ALEN);
  memcpy(p + 24, tpa, 4);
  return ETH_MIN_FRAME;
}

uint32_t own_addr_gw_request(const struct own_addr *a, uint8_t out[ETH_MIN_FRAME])
{
  static const uint8_t unknown[ETH_ALEN];
  return arp_frame(a, out, ARP_REQUEST, BROADCAST, unknown, a->cfg.gw);
}

uint32_t own_addr_peer_request(const struct own_addr *a, uint8_t out[ETH_MIN_FRAME])
{
  static const uint8_t unknown[ETH_ALEN];
  return arp_frame(a, out, ARP_REQUEST, BROADCAST, unknown, a->cfg.peer);
}

bool own_addr_on_link(const struct own_addr *a, const uint8_t dst[4])
{
  uint32_t mask = a->cfg.prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> a->cfg.prefix);
  uint32_t x = (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 | (uint32_t)dst[2] << 8 | dst[3];
  const uint8_t *ip = a->cfg.ip;
  uint32_t y = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
  return ((x ^ y) & mask) == 0;
}

uint32_t own_addr_udp(const struct own_addr *a, const uint8_t dst_mac[ETH_ALEN],
                      const uint8_t dst_ip[4], uint16_t src_port, uint16_t dst_port,
                      const uint8_t *payload, uint32_t len, uint16_t id,
                      uint8_t out[ETH_MAX_FRAME])
{
  uint32_t total = IP4_MIN_HDR + UDP_HDR + len;
  if (len > ETH_MAX_FRAME || ETH_HDR + total > ETH_MAX_FRAME)
    return 0;
  memset(out, 0, ETH_MIN_FRAME);
  eth_header(out, dst_mac, a->cfg.mac, ETHERTYPE_IPV4);
  uint8_t *ip = out + ETH_HDR, *udp = ip + IP4_MIN_HDR;
  ip[0] = 0x45;
  pkt_put16(ip + 2, (uint16_t)total);
  pkt_put16(ip + 4, id);
  pkt_put16(ip + 6, 0x4000); /* DF: a report is one frame or nothing */
  ip[8] = REPLY_TTL;
  ip[9] = IP_PROTO_UDP;
  memcpy(ip + 12, a->cfg.ip, 4);
  memcpy(ip + 16, dst_ip, 4);
  pkt_put16(ip + 10, pkt_csum(ip, IP4_MIN_HDR));
  pkt_put16(udp, src_port);
  pkt_put16(udp + 2, dst_port);
  pkt_put16(udp + 4, (uint16_t)(UDP_HDR + len));
  pkt_put16(udp + 6, 0);
  memcpy(udp + UDP_HDR, payload, len);
  pkt_put16(udp + 6, pkt_l4_csum(a->cfg.ip, dst_ip, IP_PROTO_UDP, udp, UDP_HDR + len));
  uint32_t n = ETH_HDR + total;
  return n < ETH_MIN_FRAME ? ETH_MIN_FRAME : n;
}

static enum own_addr_verdict arp_input(struct own_addr *a, const uint8_t *f, uint32_t len,
                                       uint8_t *reply, uint32_t *reply_len)
{
  if (len < ETH_HDR + ARP_LEN) {
    a->stats.malformed++;
    return OWN_ADDR_MALFORMED;
  }
  const uint8_t *p = f + ETH_HDR, *sha = p + 8, *spa = p + 14, *tpa = p + 24;
  uint16_t op = pkt_be16(p + 6);
  if (pkt_be16(p) != 1 || pkt_be16(p + 2) != ETHERTYPE_IPV4 || p[4] != ETH_ALEN || p[5] != 4 ||
      (op != ARP_REQUEST && op != ARP_REPLY) || !pkt_unicast_mac(sha) ||
      memcmp(sha, f + ETH_ALEN, ETH_ALEN) != 0) {
    a->stats.malformed++;
    return OWN_ADDR_MALFORMED;
  }
  if (memcmp(tpa, a->cfg.ip, 4) != 0)
    return a->stats.passed++, OWN_ADDR_PASS;
  if (op == ARP_REPLY) {
    /* Only the gateway's and the peer's own answers are learnt: D0 keeps no other neighbour. */
    bool to_us = memcmp(f, a->cfg.mac, ETH_ALEN) == 0;
    bool from_gw = to_us && memcmp(spa, a->cfg.gw, 4) == 0;
    bool from_peer = to_us && a->cfg.has_peer && memcmp(spa, a->cfg.peer, 4) == 0;
    if (from_gw) {
      memcpy(a->gw_mac, sha, ETH_ALEN);
      a->gw_known = true;
    }
    if (from_peer) {
      memcpy(a->peer_mac, sha, ETH_ALEN);
      a->peer_known = true;
    }
    if (!from_gw && !from_peer)
      a->stats.ignored++;
    return OWN_ADDR_CONSUMED;
  }
  *reply_len = arp_frame(a, reply, ARP_REPLY, sha, sha, spa);
  a->stats.arp_replies++;
  return OWN_ADDR_REPLY;
}

/* An IPv4 packet: PASS unless it is addressed to D0; then only an unfragmented ICMP echo request
 * with valid checksums is answered. */
static enum own_addr_verdict ipv4_input(struct own_addr *a, const uint8_t *f, uint32_t len,
                                        uint8_t *reply, uint32_t *reply_len)
{
  if (len < ETH_HDR + IP4_MIN_HDR)
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  const uint8_t *ip = f + ETH_HDR;
  uint32_t avail = len - ETH_HDR, ihl = (uint32_t)(ip[0] & 0xf) * 4, total = pkt_be16(ip + 2);
  if (ip[0] >> 4 != 4 || ihl < IP4_MIN_HDR || total < ihl || total > avail)
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  if (memcmp(ip + 16, a->cfg.ip, 4) != 0)
    return a->stats.passed++, OWN_ADDR_PASS;
  if (memcmp(f, a->cfg.mac, ETH_ALEN) != 0 || pkt_csum(ip, ihl) != 0 || !pkt_unicast_mac(f + ETH_ALEN))
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  /* D0's own is an ICMP echo request, whole: TCP, UDP, other ICMP (replies and errors of NAT
   * flows) and fragments (which D0 never reassembles, so a fragmented echo is not answered) are
   * the router's, which tracks, translates or drops them. */
  if (ip[9] != IP_PROTO_ICMP || (pkt_be16(ip + 6) & (IP4_FLAG_MF | IP4_FRAG_OFF)) != 0)
    return a->stats.passed++, OWN_ADDR_PASS;
  const uint8_t *icmp = ip + ihl;
  uint32_t icmp_len = total - ihl;
  if (icmp_len < ICMP_HDR || pkt_csum(icmp, icmp_len) != 0)
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0)
    return a->stats.passed++, OWN_ADDR_PASS;
  if (!a->cfg.echo)
    return a->stats.ignored++, OWN_ADDR_CONSUMED;
  /* The reply: no IP options, the request's ICMP id, sequence and data, within ETH_MAX_FRAME
   * (total <= avail <= the frame, and IHL only shrinks). */
  uint32_t out_total = IP4_MIN_HDR + icmp_len;
  if (ETH_HDR + out_total > ETH_MAX_FRAME)
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  memset(reply, 0, ETH_MIN_FRAME);
  eth_header(reply, f + ETH_ALEN, a->cfg.mac, ETHERTYPE_IPV4);
  uint8_t *rip = reply + ETH_HDR, *ricmp = rip + IP4_MIN_HDR;
  rip[0] = 0x45;
  rip[1] = 0;
  pkt_put16(rip + 2, (uint16_t)out_total);
  pkt_put16(rip + 4, pkt_be16(ip + 4));
  pkt_put16(rip + 6, 0);
  rip[8] = REPLY_TTL;
  rip[9] = IP_PROTO_ICMP;
  pkt_put16(rip + 10, 0);
  memcpy(rip + 12, a->cfg.ip, 4);
  memcpy(rip + 16, ip + 12, 4);
  pkt_put16(rip + 10, pkt_csum(rip, IP4_MIN_HDR));
  memcpy(ricmp, icmp, icmp_len);
  ricmp[0] = ICMP_ECHO_REPLY;
  pkt_put16(ricmp + 2, 0);
  pkt_put16(ricmp + 2, pkt_csum(ricmp, icmp_len));
  uint32_t n = ETH_HDR + out_total;
  *reply_len = n < ETH_MIN_FRAME ? ETH_MIN_FRAME : n;
  a->stats.echo_replies++;
  return OWN_ADDR_REPLY;
}

enum own_addr_verdict own_addr_input(struct own_addr *a, const uint8_t *frame, uint32_t len,
                                     uint8_t reply[ETH_MAX_FRAME], uint32_t *reply_len)
{
  *reply_len = 0;
  if (frame == NULL || len < ETH_HDR || len > ETH_MAX_FRAME)
    return a->stats.malformed++, OWN_ADDR_MALFORMED;
  bool to_us = memcmp(frame, a->cfg.mac, ETH_ALEN) == 0;
  bool bcast = memcmp(frame, BROADCAST, ETH_ALEN) == 0;
  uint16_t type = pkt_be16(frame + 12);
  if (type == ETHERTYPE_ARP && (to_us || bcast))
    return arp_input(a, frame, len, reply, reply_len);
  if (type == ETHERTYPE_IPV4 && to_us)
    return ipv4_input(a, frame, len, reply, reply_len);
  a->stats.passed++;
  return OWN_ADDR_PASS;
}
