/*
 * The static L2 bridge between the VMs of one build: one port per VM's virtio-net device, each
 * with the MAC the signed manifest gave that container. Nothing is learned at run time:
 *
 *   - a frame whose source MAC is not its port's MAC is dropped (a guest cannot pose as another);
 *   - unicast to a MAC of another port goes to that port only;
 *   - broadcast and multicast (I/G bit set) go to every other port that is up (ARP, IPv6 ND);
 *   - unicast to any other MAC is dropped (there is no uplink and no host stack behind the
 *     bridge: D0 itself has no address on it, so a container's gateway answers nobody);
 *   - runt frames (shorter than an Ethernet header) are dropped.
 * A port whose VM stopped is taken down and receives nothing. Delivery into a guest that posted
 * no receive buffer drops the frame (counted by the device: net_drops). Every drop here is
 * counted per port.
 */
#ifndef DEV_VIRTIO_BRIDGE_H
#define DEV_VIRTIO_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/virtio/virtio_net.h"

#define BRIDGE_MAX_PORTS 64 /* TLV_MAX_CONTAINERS */
#define ETH_HDR_LEN 14

struct bridge;

struct bridge_port {
  struct bridge *br;
  struct virtio_net *net;
  uint8_t mac[6];
  bool up;
  uint64_t tx_forwarded;  /* frames this port sent that reached at least one other port */
  uint64_t tx_spoofed;    /* dropped: source MAC not the port's */
  uint64_t tx_unknown;    /* dropped: unicast to no port, or a runt */
};

struct bridge {
  struct bridge_port ports[BRIDGE_MAX_PORTS];
  uint32_t n;
};

void bridge_init(struct bridge *br);

/*
 * Adds a port for net with its static MAC. Attach the device with bridge_tx as its tx callback
 * and the returned port as its bridge context. NULL when the bridge is full, the MAC is
 * multicast or all-zero, or another port has it (a build with a duplicated MAC is refused).
 */
struct bridge_port *bridge_add_port(struct bridge *br, struct virtio_net *net,
                                    const uint8_t mac[6]);

/* The virtio_net_tx_fn of every port: ctx is the struct bridge_port of the sending device. */
void bridge_tx(void *ctx, const uint8_t *frame, uint32_t len);

/* The port's VM stopped: it neither sends nor receives any more. */
void bridge_port_down(struct bridge_port *port);

#endif /* DEV_VIRTIO_BRIDGE_H */
