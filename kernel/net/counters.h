/*
 * Network counters of one container (and of the uplink): what D0 forwarded, and every frame it
 * dropped, by reason. The bridge (anti-spoofing, rate limits) and the router (policy, NAT,
 * connection tracking) add to the same struct for a container, so one event reports all of it.
 * rx = frames delivered to the VM, tx = frames the VM sent (counted before any check); for the
 * uplink, rx = received from the wire, tx = sent on it (the driver's counts).
 */
#ifndef D0_NET_COUNTERS_H
#define D0_NET_COUNTERS_H

#include <stdint.h>

enum net_drop {
  NET_DROP_SPOOF,          /* source MAC/IPv4 or ARP sender not the container's own */
  NET_DROP_ETHERTYPE,      /* neither ARP nor IPv4 (D0's network is IPv4 only) */
  NET_DROP_POLICY,         /* a new flow the container's egress allow-list does not name */
  NET_DROP_RATE,           /* over the container's rate limit and not throttled */
  NET_DROP_CONNTRACK_FULL, /* no connection-tracking entry left within the container's share */
  NET_DROP_MALFORMED,      /* a truncated or inconsistent header, a bad checksum */
  NET_DROP_FRAGMENT,       /* IPv4 fragments are not reassembled: dropped */
  NET_DROP_NO_ROUTE,       /* nowhere to send it (no uplink, no NAT, no such port or flow) */
  NET_DROP_COUNT
};

/* The logfmt key of each reason (ev=net_stats drop_<name>=N). */
static inline const char *net_drop_name(enum net_drop why)
{
  switch (why) {
  case NET_DROP_SPOOF: return "spoof";
  case NET_DROP_ETHERTYPE: return "ethertype";
  case NET_DROP_POLICY: return "policy";
  case NET_DROP_RATE: return "rate";
  case NET_DROP_CONNTRACK_FULL: return "conntrack_full";
  case NET_DROP_MALFORMED: return "malformed";
  case NET_DROP_FRAGMENT: return "fragment";
  case NET_DROP_NO_ROUTE: return "no_route";
  case NET_DROP_COUNT: break;
  }
  return "unknown";
}

struct net_counters {
  uint64_t rx_packets, rx_bytes;
  uint64_t tx_packets, tx_bytes;
  uint64_t drop[NET_DROP_COUNT];
};

static inline void net_count_drop(struct net_counters *c, enum net_drop why)
{
  if (c != 0)
    c->drop[why]++;
}

#endif /* D0_NET_COUNTERS_H */
