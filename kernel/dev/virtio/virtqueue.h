/*
 * Split virtqueues (virtio 1.x, 2.7 "Split Virtqueues"), device side, with every guest-supplied
 * value checked:
 *   - queue size a power of two in [1, VQ_MAX_SIZE]; rings aligned (desc 16, avail 2, used 4)
 *     and entirely inside guest RAM (checked at QueueReady and again at every access);
 *   - avail->idx may run ahead of what the device consumed by at most the queue size;
 *   - descriptor indices < queue size; a chain longer than the queue size is a loop;
 *   - every descriptor's [addr, addr+len) inside guest RAM, no wrap past 2^64;
 *   - no VIRTQ_DESC_F_INDIRECT (never negotiated); device-readable descriptors before
 *     device-writable ones.
 * A chain is copied out of guest memory once (struct vq_chain), so the guest cannot change a
 * descriptor between its check and its use. A violation returns a negative hv_err; the transport
 * then marks the device broken (DEVICE_NEEDS_RESET).
 */
#ifndef DEV_VIRTQUEUE_H
#define DEV_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "d0/addr.h"
#include "hv/guest_mem.h"

#define VQ_MAX_SIZE 256

/* 2.7.5 The Virtqueue Descriptor Table */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_DESC_SIZE 16
/* 2.7.6 The Virtqueue Available Ring: flags u16, idx u16, ring[size] u16, used_event u16 */
#define VIRTQ_AVAIL_FLAGS 0
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_AVAIL_IDX 2
#define VIRTQ_AVAIL_RING 4
/* 2.7.8 The Virtqueue Used Ring: flags u16, idx u16, ring[size] {id u32, len u32}, avail_event */
#define VIRTQ_USED_FLAGS 0
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_USED_IDX 2
#define VIRTQ_USED_RING 4
#define VIRTQ_USED_ELEM_SIZE 8

struct virtq {
  uint16_t size;       /* QueueNum */
  bool ready;
  gpa_t desc, avail, used;
  uint16_t last_avail; /* next avail ring slot the device consumes (free-running) */
  uint16_t used_idx;   /* next used ring slot (free-running) */
};

struct vq_seg {
  gpa_t addr;
  uint32_t len;
  bool writable;
};

struct vq_chain {
  uint16_t head;
  uint16_t count;
  uint64_t readable_bytes, writable_bytes;
  struct vq_seg seg[VQ_MAX_SIZE];
};

void vq_reset(struct virtq *q);

/* The checks done when the driver sets QueueReady. */
int vq_check_layout(const struct virtq *q, const struct guest_mem *mem);

/* 1 and *chain filled if a chain was available, 0 if none, or a negative hv_err. */
int vq_pop(struct virtq *q, const struct guest_mem *mem, struct vq_chain *chain);

/*
 * true when the driver asked for no used-buffer notification now (2.7.7: avail->flags holds
 * VIRTQ_AVAIL_F_NO_INTERRUPT, set by Linux while it polls the queue itself: NAPI, the block
 * completion loop). An unreadable ring reads as false: notify, and let the next access fail.
 */
bool vq_interrupt_suppressed(const struct virtq *q, const struct guest_mem *mem);

/* true when the driver has made a chain available that vq_pop has not taken yet (an unreadable
 * ring reads as true: the next vq_pop reports the error). */
bool vq_avail_pending(const struct virtq *q, const struct guest_mem *mem);

/*
 * Asks the driver not to notify this queue (no_notify, VIRTQ_USED_F_NO_NOTIFY in used->flags), or
 * to notify again (2.7.10). Advisory: the driver reads it after publishing avail->idx, so a device
 * that clears it must look at the avail ring once more afterwards, or a chain queued while the
 * flag was still set would wait for a notification that never comes.
 */
int vq_set_no_notify(const struct virtq *q, const struct guest_mem *mem, bool no_notify);

/* Returns chain `head` to the driver with `len` bytes written by the device. */
int vq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len);

/*
 * Calls fn on each host piece of the logical byte range [off, off+len) of the chain's readable
 * (writable=false) or writable part. HV_E_VQ_SHORT if the part is shorter than off+len; the first
 * negative value fn returns stops the walk and is returned.
 */
typedef int (*vq_piece_fn)(void *ctx, uint8_t *host, uint64_t len);
int vq_chain_each(const struct vq_chain *c, const struct guest_mem *mem, bool writable,
                  uint64_t off, uint64_t len, vq_piece_fn fn, void *ctx);

/* Copy helpers over vq_chain_each. */
int vq_chain_read(const struct vq_chain *c, const struct guest_mem *mem, uint64_t off, void *dst,
                  uint64_t len);
int vq_chain_write(const struct vq_chain *c, const struct guest_mem *mem, uint64_t off,
                   const void *src, uint64_t len);

#endif /* DEV_VIRTQUEUE_H */
