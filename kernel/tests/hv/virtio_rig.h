/*
 * The VM the virtio host tests drive (test_virtio.c, test_virtio_net.c): 4 MiB of guest RAM, a
 * virtio-blk disk of IMG_SIZE bytes and a virtio-net device whose frames go to on_tx (recorded
 * in tx_seen / tx_len / tx_count / tx_bytes), both attached to the VM's MMIO bus.
 */
#ifndef HV_TESTS_VIRTIO_RIG_H
#define HV_TESTS_VIRTIO_RIG_H

#include <stdint.h>

#include "dev/virtio/virtio_blk.h"
#include "dev/virtio/virtio_net.h"
#include "guest_drv.h"
#include "hv/layout.h"

#define MIB (1024ull * 1024ull)
#define BLK LAYOUT_VIRTIO_BLK_BASE
#define NET LAYOUT_VIRTIO_NET_BASE
#define RING 0x100000ull
#define BUF 0x200000ull
#define IMG_SIZE (64 * 1024)
#define QSZ 8

extern struct vm vm;
extern uint8_t image[IMG_SIZE], pristine[IMG_SIZE];
extern struct blk_backing back;
extern struct virtio_blk blk;
extern struct virtio_net net;
extern struct drv_q bq;
extern uint8_t tx_seen[2048];
extern uint32_t tx_len, tx_count, tx_bytes;

/* A fresh VM with blk (vda) and net (eth0); overlay_slots 0 = read-only disk. */
void setup(uint32_t overlay_slots);
/* blk negotiated (SEG_MAX, FLUSH), its queue bq ready, DRIVER_OK. */
void blk_up(void);
/* avail->flags of a queue, as the guest driver sets it (VIRTQ_AVAIL_F_NO_INTERRUPT). */
void avail_flags(struct drv_q *q, uint16_t flags);

#endif
