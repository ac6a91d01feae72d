/*
 * The uplink: the host's physical NIC, driven by D0 after the take-over. A driver is one file
 * that fills struct uplink_ops (dev/net/e1000.c today; virtio-net-pci or igb would be the next
 * ones, each one new file plus its PCI match in boot/efi/uplink_boot.c).
 *
 * Contract for a driver:
 *   - Everything it needs from the firmware era (its descriptor rings and buffers, D0-owned,
 *     identity mapped, physically contiguous) is handed to it before ExitBootServices in
 *     struct uplink_mem; it allocates nothing afterwards.
 *   - start() runs once after the take-over, with the NIC's MMIO mapped uncached and
 *     non-executable in D0's page tables (arch/x86/paging.h): reset, MAC, rings, RX/TX enabled.
 *     No interrupts: D0 polls from its host loop.
 *   - tx() copies the frame into a TX buffer (the caller's buffer is free on return); -1 when the
 *     ring is full or the frame is not 14..1514 bytes. poll_rx() hands at most budget received
 *     frames to fn, each valid only during the call, and returns how many it handed over. Frames
 *     the NIC flagged as errored or that span several descriptors are dropped and counted, never
 *     passed on.
 *
 * No IOMMU is programmed (none is assumed): the NIC can DMA anywhere in host memory. D0 only
 * ever gives it addresses inside struct uplink_mem, and resets it before use, so whatever rings
 * the firmware had set up are gone before D0's own are live.
 */
#ifndef DEV_NET_UPLINK_H
#define DEV_NET_UPLINK_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*uplink_rx_fn)(void *ctx, const uint8_t *frame, uint32_t len);

struct uplink_mem {
  uint8_t *base; /* identity mapped: its address is its physical address */
  uint64_t bytes;
};

struct uplink_stats {
  uint64_t rx_frames, rx_bytes, rx_errors, tx_frames, tx_bytes, tx_full;
};

struct uplink;

struct uplink_ops {
  const char *name; /* ev=uplink_* nic= */
  int (*start)(struct uplink *u);
  bool (*link_up)(struct uplink *u);
  int (*tx)(struct uplink *u, const uint8_t *frame, uint32_t len);
  /* Every frame handed to tx() has left the NIC (before a reset, so a last report goes out). */
  bool (*tx_done)(struct uplink *u);
  uint32_t (*poll_rx)(struct uplink *u, uint32_t budget, uplink_rx_fn fn, void *ctx);
};

struct uplink {
  const struct uplink_ops *ops;
  volatile uint8_t *mmio; /* BAR0 */
  uint64_t mmio_bytes;
  struct uplink_mem mem;
  uint8_t mac[6];          /* valid after start() */
  uint32_t rx_next, tx_next; /* the driver's ring cursors */
  bool rx_in_chain;          /* inside a frame that spans descriptors: dropped up to its EOP */
  struct uplink_stats stats;
};

#endif /* DEV_NET_UPLINK_H */
