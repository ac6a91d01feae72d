/*
 * virtio-blk (virtio 1.x, 5.2 "Block Device") over virtio-mmio: one request queue, requests
 * VIRTIO_BLK_T_IN, OUT, FLUSH, GET_ID against a struct blk_backing.
 *
 * Request chain: device-readable header {type u32, reserved u32, sector u64}; for OUT the data
 * follows in readable descriptors; for IN/GET_ID the data goes into device-writable descriptors;
 * the last writable byte is the status. A chain without a 16-byte header or without a writable
 * status byte, or an IN whose data buffer is device-readable, is a protocol violation: the device
 * breaks (DEVICE_NEEDS_RESET). A request that is well-formed but cannot be served (sector out of
 * range, data length not a sector multiple, write to a read-only disk, overlay full) completes
 * with VIRTIO_BLK_S_IOERR; an unknown type with VIRTIO_BLK_S_UNSUPP.
 */
#ifndef DEV_VIRTIO_BLK_H
#define DEV_VIRTIO_BLK_H

#include "dev/virtio/blk_backing.h"
#include "dev/virtio/virtio_mmio.h"

#define VIRTIO_ID_BLOCK 2

/* 5.2.3 Feature bits */
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)

/* 5.2.4 config: capacity u64 @0, size_max u32 @8, seg_max u32 @12, geometry @16, blk_size @20 */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_LEN 24
#define VIRTIO_BLK_SEG_MAX (VQ_MAX_SIZE - 2)

/* 5.2.6 request types and status values */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_HDR_LEN 16
#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk {
  struct virtio_mmio t;
  struct blk_backing *back;
  uint8_t config[VIRTIO_BLK_CFG_LEN];
  uint8_t id[VIRTIO_BLK_ID_BYTES];
  struct vq_chain chain; /* scratch for the request being served (too big for the stack) */
};

/* id: up to 20 bytes returned by GET_ID (the VM name, so /sys/block/vda/serial names it). */
void virtio_blk_init(struct virtio_blk *b, const struct dev_env *env, struct blk_backing *back,
                     uint64_t base, uint32_t gsi, const char *id);

#endif /* DEV_VIRTIO_BLK_H */
