/* The bridge's anti-spoofing guard (contract in guard.h). */
#include "net/guard.h"

#include "d0/lib.h"

/* Ethernet II, ARP (RFC 826), IPv4 (RFC 791). */
#define ETH_HDR 14
#define ETH_SRC 6
#define ETH_TYPE 12
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28 /* Ethernet/IPv4 ARP: htype, ptype, hlen, plen, op, sha, spa, tha, tpa */
#define ARP_SHA 8
#define ARP_SPA 14
#define ARP_REQUEST 1
#define ARP_REPLY 2
#define IP_MIN_HDR 20
#define IP_SRC 12

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static bool ip4_zero(const uint8_t *a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

static bool drop(enum net_drop *why, enum net_drop reason)
{
  *why = reason;
  return false;
}

/* arp = the ARP payload, avail = bytes of the frame from arp on. */
static bool check_arp(const struct guard_port *port, const uint8_t *arp, uint32_t avail,
                      enum net_drop *why)
{
  if (avail < ARP_LEN)
    return drop(why, NET_DROP_MALFORMED);
  uint16_t op = be16(arp + 6);
  if (be16(arp) != 1 || be16(arp + 2) != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4 ||
      (op != ARP_REQUEST && op != ARP_REPLY))
    return drop(why, NET_DROP_MALFORMED);
  if (memcmp(arp + ARP_SHA, port->mac, 6) != 0)
    return drop(why, NET_DROP_SPOOF);
  const uint8_t *spa = arp + ARP_SPA;
  bool probe = op == ARP_REQUEST && ip4_zero(spa);
  if (!probe && memcmp(spa, port->ip4, 4) != 0)
    return drop(why, NET_DROP_SPOOF);
  return true;
}

static bool check_ip4(const struct guard_port *port, const uint8_t *ip, uint32_t avail,
                      enum net_drop *why)
{
  if (avail < IP_MIN_HDR || ip[0] >> 4 != 4)
    return drop(why, NET_DROP_MALFORMED);
  uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4, total = be16(ip + 2);
  if (ihl < IP_MIN_HDR || ihl > avail || total < ihl || total > avail)
    return drop(why, NET_DROP_MALFORMED);
  if (memcmp(ip + IP_SRC, port->ip4, 4) != 0)
    return drop(why, NET_DROP_SPOOF);
  return true;
}

bool guard_check(const struct guard_port *port, const uint8_t *frame, uint32_t len,
                 enum net_drop *why)
{
  if (frame == NULL || len < ETH_HDR)
    return drop(why, NET_DROP_MALFORMED);
  if (memcmp(frame + ETH_SRC, port->mac, 6) != 0)
    return drop(why, NET_DROP_SPOOF);
  switch (be16(frame + ETH_TYPE)) {
  case ETHERTYPE_ARP: return check_arp(port, frame + ETH_HDR, len - ETH_HDR, why);
  case ETHERTYPE_IPV4: return check_ip4(port, frame + ETH_HDR, len - ETH_HDR, why);
  default: return drop(why, NET_DROP_ETHERTYPE); /* IPv6, 802.1Q tags, everything else */
  }
}
