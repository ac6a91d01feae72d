/*
 * virtio-net (virtio 1.x, 5.1 "Network Device") over virtio-mmio. Queue 0 receives, queue 1
 * transmits; no control queue, no mergeable buffers, no receive offloads. Offered: VERSION_1,
 * MAC (address in config space), STATUS (link always up), and the transmit offloads CSUM and
 * HOST_TSO4, which D0 finishes in software at the device (net/offload.h): the guest's TCP sends
 * one 64 KiB chain and one notification where it sent ~45 segments, and the bridge still sees
 * only ordinary frames with valid checksums.
 *
 * Every frame carries a 12-byte struct virtio_net_hdr (5.1.6, VERSION_1 layout). TX: each chain
 * (device-readable only) is gathered into one frame of at most VIRTIO_NET_MAX_FRAME bytes after
 * the header (NET_OFFLOAD_MAX_FRAME for a segmentation request), its offloads are finished, and
 * the frame or its segments are handed to the bridge's tx callback; an oversized or header-less
 * frame, or an offload request D0 refuses, is dropped, counted (net_drops) and logged (what=
 * tx-frame-dropped, or the offload's reason: offload-bad-gso, ...). net_tx_frames counts the
 * frames handed to the bridge (segments, not chains). RX: virtio_net_rx() puts one frame into the
 * next receive chain (device-writable only), or reports HV_E_NET_NOBUF when the guest posted none.
 *
 * TX throttling: the tx callback returns whether the sender may send more now. When it says no
 * (its port's rate limit is in debt), the device stops taking chains off the TX queue: they stay
 * in the guest's ring (the guest sees a full queue and backs off, nothing is dropped), the
 * device is tx_throttled and ignores TX notifications, and the host loop calls
 * virtio_net_tx_resume() once the limit has tokens again.
 *
 * A notification takes chains until the queue is empty, or until VIRTIO_NET_TX_BUDGET frames
 * went to the bridge (segments count: one chain may make ~1,365 at the smallest MSS); the rest
 * waits for the host loop's bridge_poll, as when throttled, so one VM's burst cannot hold D0.
 *
 * TX notifications are suppressed while D0 looks at the queue anyway: once a notification's
 * chains are taken, the device sets VIRTQ_USED_F_NO_NOTIFY on the TX queue (tx_kicks_off) and
 * takes what the guest queues meanwhile at the VM's next exits, whatever their reason (an EOI, a
 * halt, the host tick: virtio_net_after_exit, also from bridge_poll; the notification's own exit
 * is not one of them, or its look would find the queue just emptied). The first look that finds
 * the queue empty clears the flag and looks once more (vq_set_no_notify). A chain so waits at
 * most until the VM's next exit, which the host tick bounds (4 ms); in a download the guest
 * queued ~3 chains between two of its other exits, each of which cost a notification exit
 * (bench/net/README.md).
 *
 * TX completion interrupts are moderated: the chains a notification took go back to the used ring
 * at once, but the interrupt that tells the guest comes with the next one this device raises
 * anyway (a received frame's), or at the host loop's first bridge_poll (virtio_net_poll)
 * VIRTIO_NET_TX_IRQ_DEFER_NS after it, whichever is first; an interrupt already pending covers
 * it. Linux's driver also reaps used TX buffers each time it transmits, and its interrupt handler
 * looks at every queue. Under a download the ACKs' interrupts carry the TX completions, so the
 * guest takes one interrupt where it took two, each three exits (bench/net/README.md).
 *
 * Re-entrancy: the tx callback may deliver frames to this same device (virtio_net_rx), e.g. D0
 * answering an ARP request at once; the TX loop keeps what it needs of its chain across the call.
 * TX processing never nests (the callback only delivers), which is why one segmentation buffer
 * serves every device: D0 runs devices only under its one lock, so one CPU at a time
 * (kernel/docs/acpi-and-cpus.md, "VMs on CPUs").
 */
#ifndef DEV_VIRTIO_NET_H
#define DEV_VIRTIO_NET_H

#include "dev/virtio/virtio_mmio.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_CSUM (1ull << 0)       /* the driver may leave a TCP/UDP checksum to D0 */
#define VIRTIO_NET_F_HOST_TSO4 (1ull << 11) /* ... and TCP segmentation over IPv4 */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_CFG_LEN 8 /* mac[6] @0, status u16 @6 */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_MAX_FRAME 1518 /* Ethernet header + VLAN tag + 1500 bytes */
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_TX_BUDGET 256u /* frames per notification (or resume) before yielding */
#define VIRTIO_NET_TX_IRQ_DEFER_NS 1000000ull /* a TX completion's interrupt waits at most this */

/* One frame the guest sent (its virtio_net_hdr stripped). true: the device may take the next
 * chain now; false: it stops until virtio_net_tx_resume(). */
typedef bool (*virtio_net_tx_fn)(void *bridge, const uint8_t *frame, uint32_t len);

struct virtio_net {
  struct virtio_mmio t;
  uint8_t config[VIRTIO_NET_CFG_LEN];
  virtio_net_tx_fn tx;
  void *bridge;
  bool tx_throttled; /* the tx callback said stop: TX chains wait in the ring */
  bool tx_kicks_off;    /* VIRTQ_USED_F_NO_NOTIFY set on the TX queue: D0 looks at exits */
  bool tx_look_skip;    /* the exit being handled is the notification's: look at the next */
  bool tx_irq_owed;     /* TX chains completed whose interrupt is deferred (above) */
  uint64_t tx_irq_due_ns; /* ... until then */
  uint8_t frame[VIRTIO_NET_MAX_FRAME];
  struct vq_chain chain;
};

void virtio_net_init(struct virtio_net *n, const struct dev_env *env, const uint8_t mac[6],
                     uint64_t base, uint32_t gsi, virtio_net_tx_fn tx, void *bridge);

/*
 * Delivers one frame to the guest. HV_E_NET_FRAME (too large or the guest's buffer too small:
 * dropped), HV_E_NET_NOBUF (no buffer / device not live: dropped), HV_E_DEV_BROKEN.
 */
int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, uint32_t len);

/*
 * Ends throttling: takes the chains waiting in the TX queue (until the tx callback says stop
 * again). Nothing happens unless the device is tx_throttled; a device that was reset or broken
 * meanwhile just stops being throttled.
 */
void virtio_net_tx_resume(struct virtio_net *n);

/* From the host loop (bridge_poll): takes TX chains queued without a notification (as
 * virtio_net_after_exit), raises a deferred TX completion interrupt that is due. */
void virtio_net_poll(struct virtio_net *n, uint64_t now_ns);

/* After each exit of the VM (d0_lock held): while notifications are off, takes the TX chains the
 * guest queued since, or turns notifications back on when there are none (above). */
void virtio_net_after_exit(struct virtio_net *n);

#endif /* DEV_VIRTIO_NET_H */
