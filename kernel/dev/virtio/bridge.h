/*
 * The static L2 bridge between the VMs of one build, with D0 itself as a member. One port per
 * VM's virtio-net device, each with the MAC and IPv4 address the signed manifest gave that
 * container, and optional rate limits. Nothing is learned at run time. Every frame a VM sends:
 *
 *   - is counted (tx_packets/tx_bytes of its port) and charged to its port's tx limit;
 *   - goes through the anti-spoofing guard (net/guard.h): source MAC, ARP sender and IPv4 source
 *     must be the port's own, ARP or IPv4 only; a drop is counted on the sending port by reason;
 *   - unicast to another port's MAC goes to that port only; unicast to D0's MAC goes to D0's
 *     callback only; broadcast and multicast (I/G bit set) go to every other port that is up and
 *     to D0 (ARP requests for the containers' gateway are D0's to answer);
 *   - unicast to any other MAC is dropped, counted `no_route`.
 * A port whose VM stopped is taken down: it neither sends nor receives. Delivery to a port (from
 * another VM or from D0, bridge_deliver) applies that port's rx limit (over it: dropped, counted
 * `rate` on the receiver) and counts rx_packets/rx_bytes when the guest took the frame; a guest
 * that posted no receive buffer drops it (counted by the device: net_drops).
 *
 * TX throttling: when a frame leaves the sending port's tx limit in debt, bridge_tx tells the
 * device to stop taking frames (virtio_net.h); bridge_poll, from the host loop, resumes it once
 * the limit has tokens again. So a VM over its tx limit is slowed down, not dropped.
 *
 * Time is arch_time_ns() inside bridge_tx and bridge_deliver (they are called from device
 * exits and from D0's router), and the caller's in bridge_poll.
 */
#ifndef DEV_VIRTIO_BRIDGE_H
#define DEV_VIRTIO_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/virtio/virtio_net.h"
#include "net/counters.h"
#include "net/guard.h"
#include "net/rate.h"

#define BRIDGE_MAX_PORTS 64 /* TLV_MAX_CONTAINERS */
#define ETH_HDR_LEN 14

struct bridge;

/* A port's configuration: its container's addresses and limits (NULL = unlimited). */
struct bridge_port_cfg {
  uint8_t mac[6];
  uint8_t ip4[4]; /* network byte order, the container's address */
  const struct rate_cfg *tx_limit; /* frames the VM sends */
  const struct rate_cfg *rx_limit; /* frames delivered to the VM */
};

/* ARP delivered to a port with an rx limit is charged to a budget of its own, not to the limit:
 * a flood that fills the limit then cannot take away its neighbours' ARP (their kernels would
 * lose the neighbour entry and drop what they queued meanwhile), and ARP cannot carry a flood
 * past the limit either (60-byte frames at this rate are ~6 KB/s). Over it: drop_rate too.
 * docs/network.md, "Rate limits". */
#define BRIDGE_RX_ARP_PER_S 100u

struct bridge_port {
  struct bridge *br;
  struct virtio_net *net;
  uint32_t index;         /* in br->ports: how D0's callback and bridge_deliver name it */
  struct guard_port addr; /* MAC and IPv4 the guard holds its frames to */
  bool up;
  bool has_tx_limit, has_rx_limit;
  struct rate_bucket tx_limit, rx_limit;
  struct rate_bucket rx_arp; /* with has_rx_limit: BRIDGE_RX_ARP_PER_S */
  struct net_counters counters;
};

/*
 * D0's side of the bridge: a frame for D0 (unicast to its MAC, or broadcast/multicast) that the
 * VM on port `port` sent and the guard passed. It may call bridge_deliver at once.
 */
typedef void (*bridge_host_fn)(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len);

struct bridge {
  struct bridge_port ports[BRIDGE_MAX_PORTS];
  uint32_t n;
  bool has_host;
  uint8_t host_mac[6];
  bridge_host_fn host_fn;
  void *host_ctx;
};

void bridge_init(struct bridge *br);

/*
 * Adds a port for net. Attach the device with bridge_tx as its tx callback and the returned
 * port as its bridge context. NULL when the bridge is full, net is NULL, the MAC is multicast,
 * all-zero, D0's, or another port's (a build with a duplicated MAC is refused), or the IPv4
 * address is 0.0.0.0.
 */
struct bridge_port *bridge_add_port(struct bridge *br, struct virtio_net *net,
                                    const struct bridge_port_cfg *cfg);

/*
 * Makes D0 a member with MAC mac (D0_BRIDGE_MAC in production): fn receives what the VMs send
 * to it. false (nothing changed) when the MAC is multicast, all-zero or a port's, or fn is NULL.
 */
bool bridge_set_host(struct bridge *br, const uint8_t mac[6], bridge_host_fn fn, void *ctx);

/* The virtio_net_tx_fn of every port: ctx is the struct bridge_port of the sending device.
 * false when the port's tx limit is in debt (the device stops until bridge_poll). */
bool bridge_tx(void *ctx, const uint8_t *frame, uint32_t len);

/*
 * D0 sends frame to the VM on port `port` (its rx limit and counters apply). true when the guest
 * took it; false when the port does not exist or is down, the frame is shorter than an Ethernet
 * header, it is over the rx limit, or the device dropped it.
 */
bool bridge_deliver(struct bridge *br, uint32_t port, const uint8_t *frame, uint32_t len);

/* The host loop's turn: resumes the TX queue of every throttled port whose limit has tokens,
 * and raises the TX completion interrupts that are due (virtio_net_poll). */
void bridge_poll(struct bridge *br, uint64_t now_ns);

/* The port's VM stopped: it neither sends nor receives any more. */
void bridge_port_down(struct bridge_port *port);

#endif /* DEV_VIRTIO_BRIDGE_H */
