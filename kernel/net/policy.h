/*
 * A container's egress allow-list: which new flows it may open through the uplink. Checked on
 * the first packet of a flow only (replies and later packets of a tracked flow pass).
 * Unrestricted = everything allowed (network.egress_nat is the switch that lets anything out at
 * all); restricted = only what a rule names, and an empty list allows nothing.
 */
#ifndef D0_NET_POLICY_H
#define D0_NET_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define POLICY_MAX_RULES 16 /* TLV_MAX_EGRESS */
#define POLICY_PROTO_ANY 0  /* else IP_PROTO_ICMP, IP_PROTO_TCP or IP_PROTO_UDP */

struct policy_rule {
  uint8_t net[4];  /* destination network, network byte order */
  uint8_t prefix;  /* 0..32 (0 = anywhere) */
  uint8_t proto;   /* POLICY_PROTO_ANY or the IP protocol number */
  uint16_t port_lo, port_hi; /* TCP/UDP destination ports, inclusive; 0..0 = every port */
};

struct policy {
  bool restricted;
  uint32_t n_rules; /* <= POLICY_MAX_RULES */
  struct policy_rule rules[POLICY_MAX_RULES];
};

/* May a new flow of proto to dst (and dport, for TCP/UDP; ignored otherwise) go out? */
bool policy_allows(const struct policy *p, const uint8_t dst[4], uint8_t proto, uint16_t dport);

#endif /* D0_NET_POLICY_H */
