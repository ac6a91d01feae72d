/*
 * The build's network across the take-over: the static bridge between the VMs
 * (dev/virtio/bridge.h), D0's router between the bridge and the uplink (net/router.h), and the
 * uplink NIC (uplink.h). The manifest is read here and nowhere else in the network code.
 *
 *   net_begin        vm_build_begin: empties the bridge.
 *   net_add_vm       vm_build, per VM: its bridge port with the container's MAC, IPv4 and rate
 *                    limits (NULL when the bridge refuses it: a duplicated or reserved MAC).
 *   net_prepare      launch.c, once every VM is built, before ExitBootServices: the router's
 *                    table from the manifest (each container's bridge port, published ports,
 *                    egress policy) and D0 joins the bridge as the containers' gateway
 *                    (D0_BRIDGE_MAC, network.bridge_ip4). false after ev=boot_failed when the
 *                    router refuses the table.
 *   net_uplink_up    uplink.c, once the NIC runs and the gateway's MAC is known: egress NAT and
 *                    published ports start (before it, outbound frames are dropped, no_route).
 *   net_from_uplink  uplink.c: a frame received on the uplink that is not D0's own.
 *   net_tick         run_vms.c, every round of the host loop: throttled TX queues resume,
 *                    connection-tracking entries expire.
 *   net_report       at halt: ev=router_stats.
 * Counters: each VM's are its bridge port's (the bridge and the router both count into them),
 * logged by run_vms.c as ev=net_stats; the uplink's are uplink.c's.
 */
#ifndef D0_BOOT_EFI_NET_H
#define D0_BOOT_EFI_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "d0/manifest.h"
#include "dev/virtio/bridge.h"
#include "dev/virtio/virtio_net.h"

void net_begin(void);
struct bridge_port *net_add_vm(struct virtio_net *net, const struct d0_container *c);
struct bridge *net_bridge(void);
bool net_prepare(const struct d0_manifest *m, struct bridge_port *const ports[],
                 const struct d0_container *const containers[], uint32_t n);
void net_uplink_up(const uint8_t uplink_mac[6], const uint8_t gw_mac[6]);
void net_from_uplink(const uint8_t *frame, uint32_t len, uint64_t now_ns);
void net_tick(uint64_t now_ns);
void net_report(void);

#endif
