/*
 * The bridge test rig (kernel/tests/hv): three VMs, each with eth0 (virtio-net) up, RX buffers
 * posted and its port on one bridge with D0 as a member, driven by the test guest driver
 * through each VM's real exit dispatch. Shared by test_bridge.c and test_bridge_limits.c.
 */
#ifndef HV_TESTS_BRIDGE_RIG_H
#define HV_TESTS_BRIDGE_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/virtio/bridge.h"
#include "dev/virtio/virtio_net.h"
#include "guest_drv.h"
#include "hv/vm.h"

#define RIG_NVM 3
#define RIG_FRAME 60 /* every test frame: Ethernet + IPv4 header + 26 bytes, the tag first */
#define RIG_MS 1000000ull

struct rig_vm {
  struct vm vm;
  uint8_t *ram;
  struct virtio_net net;
  struct bridge_port *port;
  struct drv_q rx, tx;
  uint16_t tx_head;
};

extern struct bridge rig_br;
extern struct rig_vm rig[RIG_NVM];
extern const uint8_t rig_macs[RIG_NVM][6], rig_ips[RIG_NVM][4], rig_d0_mac[6], rig_bcast[6];

/* What D0's side of the bridge received; with echo set it sends each frame straight back to
 * its port through bridge_deliver, from inside the callback. */
struct rig_d0 {
  uint32_t count, port, len;
  uint8_t frame[VIRTIO_NET_MAX_FRAME];
  bool echo;
};
extern struct rig_d0 rig_d0;
void rig_on_d0(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len);

/* A fresh rig at time 0; VM 0's port gets the limits given (NULL = unlimited). */
void rig_setup(const struct rate_cfg *tx0, const struct rate_cfg *rx0);

/* An IPv4 frame dst <- src (MAC), from IPv4 sip, whose first payload byte is tag. */
void rig_ip_frame(uint8_t f[RIG_FRAME], const uint8_t dst[6], const uint8_t src[6],
                  const uint8_t sip[4], uint8_t tag);
/* A broadcast ARP request of port i's own (sender MAC and IPv4 its port's) for tpa, padded to
 * RIG_FRAME, with tag where rig_received reads it (a byte of the target MAC, which a request
 * leaves open). */
void rig_arp_frame(uint8_t f[RIG_FRAME], int i, const uint8_t tpa[4], uint8_t tag);
/* Guest i queues frame f (virtio_net_hdr first) in its TX ring, without notifying. */
void rig_post(int i, const uint8_t *f, uint32_t len);
/* rig_post then a TX notification. */
void rig_send_raw(int i, const uint8_t *f, uint32_t len);
/* Guest i sends a well-formed IPv4 frame of its own to dst. */
void rig_send(int i, const uint8_t dst[6], uint8_t tag);
/* The tag of the next frame VM i received, or -1 when nothing arrived. */
int rig_received(int i);
/* How many TX chains the device has given back to guest i since the last call. */
int rig_tx_done(int i);
const struct net_counters *rig_cnt(int i);

#endif
