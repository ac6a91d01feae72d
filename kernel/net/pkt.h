/*
 * Bounds-checked views of the headers D0's network code reads (Ethernet II, ARP, IPv4, TCP, UDP,
 * ICMP) and the Internet checksum: RFC 1071 over bytes, RFC 1624 incremental updates.
 *
 * Every parser takes the frame and its real length and fills a view only after each field it
 * names is known to lie inside the frame; lengths carried in headers are checked against what is
 * there (IPv4 total length, IHL, TCP data offset, UDP length). A view points into the frame: it is
 * valid while the frame is, and writes through it (the rewrite helpers) modify the frame.
 * Pure code (no device, no log, no allocation): used by kernel/dev/net and kernel/net.
 */
#ifndef D0_NET_PKT_H
#define D0_NET_PKT_H

#include <stdbool.h>
#include <stdint.h>

#define ETH_ALEN 6
#define ETH_HDR 14
#define ETH_MIN_FRAME 60   /* without the FCS; shorter frames D0 builds are padded with zeros */
#define ETH_MAX_FRAME 1514 /* without the FCS: what D0 sends or accepts */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

#define ARP_LEN 28 /* Ethernet/IPv4 ARP payload (RFC 826) */
#define ARP_REQUEST 1
#define ARP_REPLY 2

#define IP4_MIN_HDR 20
#define IP4_FLAG_MF 0x2000   /* more fragments (in the flags + fragment offset word) */
#define IP4_FRAG_OFF 0x1fff  /* fragment offset, in 8-byte units */
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

#define TCP_MIN_HDR 20
#define UDP_HDR 8
#define ICMP_HDR 8

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11

static inline uint16_t pkt_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void pkt_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static inline uint32_t pkt_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void pkt_put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The ones' complement sum of p[0..n) added to sum, not folded nor complemented (odd n: the
 * last byte is the high half of a word padded with zero). Chains over pieces of even length. */
uint32_t pkt_sum(uint32_t sum, const uint8_t *p, uint32_t n);
/* Folds a sum to 16 bits and complements it: the checksum to store. */
uint16_t pkt_sum_finish(uint32_t sum);
/* The RFC 1071 Internet checksum of p[0..n): 0 over data that holds a valid checksum. */
uint16_t pkt_csum(const uint8_t *p, uint32_t n);

/*
 * RFC 1624 (eqn. 3) incremental update of the checksum stored big-endian at field after a 16-bit
 * word of the covered data changed from old to new: HC' = ~(~HC + ~m + m').
 * pkt_csum_update32 does the same for a 32-bit value (an IPv4 address), word by word.
 */
void pkt_csum_update16(uint8_t *field, uint16_t old, uint16_t new_);
void pkt_csum_update32(uint8_t *field, const uint8_t old[4], const uint8_t new_[4]);

/* A parsed IPv4 packet inside a frame. */
struct pkt_ip4 {
  uint8_t *hdr;    /* the IPv4 header (frame + ETH_HDR) */
  uint32_t ihl;    /* header length in bytes, options included: 20..60 */
  uint32_t total;  /* total length from the header: ihl..bytes present */
  uint8_t proto;
  bool fragment;   /* MF set or a fragment offset: only the header was checked */
  uint8_t *l4;     /* hdr + ihl */
  uint32_t l4_len; /* total - ihl */
};

enum pkt_status {
  PKT_OK,
  PKT_MALFORMED, /* truncated, inconsistent lengths, or a bad checksum */
  PKT_FRAGMENT,  /* a well-formed IPv4 header of a fragment (MF or offset != 0) */
};

/*
 * The IPv4 packet in frame[0..len) (Ethernet header included, ethertype not checked here):
 * version 4, IHL >= 5, total length within the frame (trailing padding ignored), header checksum
 * valid. For a non-fragment, the TCP/UDP/ICMP header is checked as well (pkt_l4_check).
 */
enum pkt_status pkt_ip4_parse(uint8_t *frame, uint32_t len, struct pkt_ip4 *ip);

/*
 * The transport header of an unfragmented packet: TCP (data offset 20..l4_len, checksum with the
 * pseudo-header), UDP (length == l4_len, checksum with the pseudo-header unless 0 = none), ICMP
 * (>= 8 bytes, checksum over the message). Other protocols: PKT_OK with nothing checked.
 */
enum pkt_status pkt_l4_check(const struct pkt_ip4 *ip);

/* The TCP/UDP checksum of a whole segment computed from scratch with the pseudo-header of
 * (src, dst, proto) (for UDP, 0 is returned as 0xffff: 0 means "no checksum"). */
uint16_t pkt_l4_csum(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, const uint8_t *l4,
                     uint32_t l4_len);

/* Where the L4 checksum of proto lies in its header (TCP 16, UDP 6, ICMP 2); 0 for others. */
uint32_t pkt_l4_csum_offset(uint8_t proto);

/*
 * Rewrites in place, each keeping every checksum it affects right by RFC 1624:
 * the source (which 12) or destination (16) address: the IPv4 header checksum and, for TCP/UDP
 * (pseudo-header) of an unfragmented packet, the L4 checksum; a TCP/UDP port or the ICMP echo
 * id at offset off of the L4 header: the L4 checksum. UDP's checksum 0 (none) stays 0, and a
 * result of 0 is stored as 0xffff. The L4 header must be whole (pkt_l4_check).
 */
void pkt_ip4_set_addr(struct pkt_ip4 *ip, uint32_t which, const uint8_t addr[4]);
void pkt_l4_set16(struct pkt_ip4 *ip, uint32_t off, uint16_t v);
/* Decrements the TTL (the caller checked it is > 1), updating the header checksum. */
void pkt_ip4_dec_ttl(struct pkt_ip4 *ip);

#define PKT_IP4_SRC 12
#define PKT_IP4_DST 16

/* The Ethernet/IPv4 ARP payload of frame[0..len) (ethertype not checked), or NULL when it is
 * truncated or not htype 1 / ptype IPv4 / hlen 6 / plen 4. */
const uint8_t *pkt_arp(const uint8_t *frame, uint32_t len);
#define PKT_ARP_OP 6
#define PKT_ARP_SHA 8
#define PKT_ARP_SPA 14
#define PKT_ARP_THA 18
#define PKT_ARP_TPA 24

/* True when addr lies in net/prefix (prefix 0..32; bytes in network order). */
bool pkt_ip4_in_net(const uint8_t addr[4], const uint8_t net[4], uint8_t prefix);

/* A usable station address: not multicast/broadcast (I/G bit), not all zero. */
bool pkt_unicast_mac(const uint8_t mac[ETH_ALEN]);

#endif /* D0_NET_PKT_H */
