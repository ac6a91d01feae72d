/*
 * D0's own address on the uplink: the one thing D0 itself answers on the wire. It replies to ARP
 * requests for its address, to ICMP echo requests sent to it (when the manifest allows, the
 * default), and resolves its gateway's MAC by ARP, and its report collector's when that is on
 * the uplink's subnet. It sends one kind of datagram of its own, UDP reports (log/report.h), and
 * receives none: D0 has no listening service, no TCP, no UDP socket. Every other frame is PASS:
 * the router's (net/router.h: replies of NAT flows, published ports, ICMP errors; everything else
 * it drops without an answer).
 *
 * Everything here reads frames that anyone on the uplink's segment can send: each field is read
 * only after the bytes holding it are known to be there, lengths in headers are checked against
 * the frame, checksums are verified, and nothing is trusted beyond the frame's own length. Pure
 * code (no device, no log), host-tested under ASan/UBSan (kernel/tests/net) and fuzzed.
 */
#ifndef DEV_NET_OWN_ADDR_H
#define DEV_NET_OWN_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "net/pkt.h" /* ETH_ALEN, ETH_MIN_FRAME, ETH_MAX_FRAME; the checksum (pkt_csum) */

struct own_addr_cfg {
  uint8_t mac[ETH_ALEN]; /* the uplink NIC's */
  uint8_t ip[4];         /* network byte order */
  uint8_t prefix;        /* 1..32 */
  uint8_t gw[4];         /* inside ip/prefix */
  bool echo;             /* answer ICMP echo requests to ip */
  bool has_peer;         /* an on-link address D0 sends to (the report collector) */
  uint8_t peer[4];       /* resolved by ARP like the gateway; valid iff has_peer */
};

struct own_addr_stats {
  uint64_t arp_replies;  /* ARP replies sent for D0's address */
  uint64_t echo_replies; /* ICMP echo replies sent */
  uint64_t malformed;    /* ARP or IPv4-to-D0 frames that failed a check: dropped */
  uint64_t ignored;      /* well-formed echo requests to D0 not answered (echo off) */
  uint64_t passed;       /* not D0's own (TCP, UDP, other ICMP, fragments, other hosts): the router's */
};

struct own_addr {
  struct own_addr_cfg cfg;
  bool gw_known;
  uint8_t gw_mac[ETH_ALEN];
  bool peer_known;
  uint8_t peer_mac[ETH_ALEN];
  struct own_addr_stats stats;
};

enum own_addr_verdict {
  OWN_ADDR_CONSUMED, /* D0's and handled (or deliberately not answered): nothing to send */
  OWN_ADDR_REPLY,    /* D0's: send reply[0..*reply_len) on the uplink */
  OWN_ADDR_MALFORMED,/* dropped: a check failed (counted) */
  OWN_ADDR_PASS,     /* not D0's own: the router's (net/router.h), which forwards or drops it */
};

void own_addr_init(struct own_addr *a, const struct own_addr_cfg *cfg);

/*
 * One received frame (without FCS). reply must hold ETH_MAX_FRAME bytes; on OWN_ADDR_REPLY it
 * holds the frame to send and *reply_len its length (>= ETH_MIN_FRAME). An ARP reply from the
 * gateway's address addressed to D0 records the gateway's MAC (gw_known); one from the peer's,
 * the peer's (peer_known).
 */
enum own_addr_verdict own_addr_input(struct own_addr *a, const uint8_t *frame, uint32_t len,
                                     uint8_t reply[ETH_MAX_FRAME], uint32_t *reply_len);

/* Writes a broadcast ARP request for the gateway (the peer) into out (ETH_MIN_FRAME bytes);
 * its length. */
uint32_t own_addr_gw_request(const struct own_addr *a, uint8_t out[ETH_MIN_FRAME]);
uint32_t own_addr_peer_request(const struct own_addr *a, uint8_t out[ETH_MIN_FRAME]);

/* Whether dst is reached directly (inside D0's subnet) rather than through the gateway. */
bool own_addr_on_link(const struct own_addr *a, const uint8_t dst[4]);

/*
 * A UDP datagram from D0's address and src_port to (dst_mac, dst_ip, dst_port) carrying
 * payload, written into out: Ethernet, IPv4 (no options, DF set, TTL 64, id), UDP with its
 * checksum. Returns its length (>= ETH_MIN_FRAME, padded), or 0 when the payload does not fit one
 * frame (D0 never fragments).
 */
uint32_t own_addr_udp(const struct own_addr *a, const uint8_t dst_mac[ETH_ALEN],
                      const uint8_t dst_ip[4], uint16_t src_port, uint16_t dst_port,
                      const uint8_t *payload, uint32_t len, uint16_t id,
                      uint8_t out[ETH_MAX_FRAME]);

#endif /* DEV_NET_OWN_ADDR_H */
