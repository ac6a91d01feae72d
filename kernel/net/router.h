/*
 * D0's router: layer 3 between the containers' bridge and the uplink.
 *
 * On the bridge D0 is the containers' gateway (bridge MAC, bridge IP): it answers ARP requests
 * for the bridge IP and ICMP echo requests to it, and nothing else of its own. IPv4 a container
 * sends to the bridge MAC for a destination outside the bridge subnet leaves by the uplink when
 * the uplink is there and egress NAT is on: a new flow passes the container's egress policy, gets
 * a connection-tracking entry within the container's share and an allocated uplink port (SNAT to
 * D0's uplink IP; the ICMP echo id for pings), and every uplink destination goes to the gateway's
 * MAC. From the uplink, IPv4 to D0's uplink IP is a reply of a tracked flow (reverse NAT to the
 * container), or a new flow to a published port (DNAT to the container, tracked), or an ICMP
 * error (destination unreachable, time exceeded) about a tracked flow (outer and embedded
 * addresses, ports and checksums translated); anything else is dropped without an answer (no
 * RST, no ICMP): a scan of D0's uplink address finds only the published ports.
 * TTL is decremented on every forward (a packet arriving with TTL <= 1 is dropped, no ICMP).
 * IPv4 fragments are dropped (counted `fragment`); IP options are skipped by IHL and kept;
 * checksums are verified on input and updated incrementally (RFC 1624) on rewrite.
 *
 * Counting: the router counts its drops by reason into the container's counters (or the
 * uplink's, for frames from the uplink that belong to no container). Frames sent and delivered
 * (rx/tx packets and bytes) are counted by whoever carries them: the bridge for the containers
 * (it also applies rx rate limits to what to_port hands it), the uplink glue for the uplink.
 *
 * Untrusted input: both inputs take frames anyone may have written (a VM, the uplink's segment);
 * every read is bounds-checked. The frame passed in is not modified: the router rewrites a copy
 * and hands it to a callback before returning (the callback must copy what it keeps).
 * Pure code: no device, no log, no allocation; one caller at a time.
 */
#ifndef D0_NET_ROUTER_H
#define D0_NET_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "net/conntrack.h"
#include "net/counters.h"
#include "net/pkt.h"
#include "net/policy.h"

#define ROUTER_MAX_CONTAINERS CT_MAX_OWNERS /* TLV_MAX_CONTAINERS */
#define ROUTER_MAX_PUBLISH 16               /* TLV_MAX_PUBLISH */

/* D0's MAC on the bridge (a container's MAC may not equal it). */
#define D0_BRIDGE_MAC {0x02, 0xd0, 0x00, 0x00, 0x00, 0x01}

struct router_publish {
  uint8_t proto;          /* IP_PROTO_TCP or IP_PROTO_UDP */
  uint16_t uplink_port;   /* 1..65535, on D0's uplink address */
  uint16_t container_port;/* 1..65535 */
};

struct router_container {
  uint32_t port;          /* the bridge port of its VM */
  uint8_t mac[ETH_ALEN];
  uint8_t ip[4];          /* inside the bridge subnet */
  uint32_t n_publish;
  struct router_publish publish[ROUTER_MAX_PUBLISH];
  struct policy egress;
  struct net_counters *counters; /* drops are counted here; NULL = not counted */
};

/* Outputs: a frame to the VM on bridge port `port`, or to the uplink. len is 60..1514. */
typedef void (*router_to_port_fn)(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len);
typedef void (*router_to_uplink_fn)(void *ctx, const uint8_t *frame, uint32_t len);

struct router_cfg {
  uint8_t bridge_mac[ETH_ALEN]; /* D0_BRIDGE_MAC */
  uint8_t bridge_ip[4];         /* network.bridge_ip4's address: the containers' gateway */
  uint8_t bridge_prefix;        /* 1..30 */
  bool egress_nat;              /* network.egress_nat: new outbound flows allowed at all */
  bool uplink;                  /* an uplink is configured and up */
  uint8_t uplink_mac[ETH_ALEN];
  uint8_t uplink_ip[4];
  uint32_t n_containers;
  struct router_container containers[ROUTER_MAX_CONTAINERS];
  struct net_counters *uplink_counters; /* may be NULL */
  uint64_t seed; /* keys the connection table's hashes and first ports: not guessable */
  router_to_port_fn to_port;
  router_to_uplink_fn to_uplink;
  void *ctx;
};

struct router_stats {
  uint64_t arp_replies, echo_replies; /* D0's own answers on the bridge */
  uint64_t snat_flows, dnat_flows;    /* new outbound / published-port flows tracked */
  uint64_t to_uplink, to_containers;  /* frames forwarded (replies of D0 not included) */
  uint64_t icmp_errors;               /* ICMP errors translated to a container */
  uint64_t ignored;                   /* not for the router (broadcasts, other hosts' frames) */
};

struct router {
  struct router_cfg cfg;
  bool gw_known;
  uint8_t gw_mac[ETH_ALEN];
  struct conntrack ct; /* ct.used = NAT entries in use; ct.stats: created, expired, evicted */
  struct router_stats stats;
  uint8_t buf[ETH_MAX_FRAME]; /* the frame being rewritten */
};

/* Checks cfg and sets r up: NULL, or what is wrong (r is then unusable). */
const char *router_init(struct router *r, const struct router_cfg *cfg);

/* The uplink gateway's MAC (learnt by ARP on the uplink): outbound traffic waits for it. */
void router_set_gw_mac(struct router *r, const uint8_t mac[ETH_ALEN]);

/*
 * The uplink came up after router_init (D0 learns its NIC's MAC when the driver starts and the
 * gateway's by ARP): sets cfg.uplink and uplink_mac, and the gateway's MAC. false (nothing
 * changed) when either MAC is not unicast. cfg.uplink_ip is the one router_init was given.
 */
bool router_uplink_up(struct router *r, const uint8_t uplink_mac[ETH_ALEN],
                      const uint8_t gw_mac[ETH_ALEN]);

/* A frame the VM on bridge port `port` sent, which the bridge handed to D0 (unicast to the
 * bridge MAC, or broadcast) after its anti-spoofing checks. */
void router_from_bridge(struct router *r, uint32_t port, const uint8_t *frame, uint32_t len,
                        uint64_t now_ns);

/* A frame received on the uplink that D0's own-address code passed. */
void router_from_uplink(struct router *r, const uint8_t *frame, uint32_t len, uint64_t now_ns);

/* Expires connection-tracking entries whose timeout has passed (call every second or so). */
void router_tick(struct router *r, uint64_t now_ns);

/* NAT (connection-tracking) entries in use. */
uint32_t router_nat_in_use(const struct router *r);

#endif /* D0_NET_ROUTER_H */
