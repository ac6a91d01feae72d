/*
 * virtio-mmio transport, version 2 ("modern") register layout (virtio 1.x, 4.2.2 "MMIO Device
 * Register Layout"). One 4 KiB window per device, one interrupt line per device.
 *
 * Registers are 32-bit; any other width or misaligned offset is ignored (reads give 0) and
 * logged. The device offers VIRTIO_F_VERSION_1 and its own features, never
 * VIRTIO_F_INDIRECT_DESC or VIRTIO_F_EVENT_IDX; FEATURES_OK is refused (left clear) unless the
 * driver accepted VERSION_1 and nothing that was not offered.
 *
 * A driver that breaks the queue rules (see virtqueue.h) makes the device broken: status gets
 * DEVICE_NEEDS_RESET, a configuration-change interrupt is raised, an event names the reason,
 * and queue notifications are ignored until the driver resets the device (status <- 0).
 */
#ifndef DEV_VIRTIO_MMIO_H
#define DEV_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/virtio/virtqueue.h"
#include "hv/bus.h"
#include "hv/dev_env.h"

#define VIRTIO_MMIO_WINDOW 0x1000
#define VIRTIO_MMIO_MAX_QUEUES 2

/* 4.2.2 register offsets */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR_D0 0x00443044u   /* "D0D\0" */

/* 2.1 Device Status Field */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* 4.2.2 InterruptStatus bits */
#define VIRTIO_INT_USED_BUFFER 1u
#define VIRTIO_INT_CONFIG_CHANGE 2u

/* 6 Reserved Feature Bits */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

struct virtio_mmio;

/* What a device model (blk, net) provides to the transport. */
struct virtio_dev_ops {
  uint32_t device_id;
  uint16_t num_queues;
  /* A queue was notified; the device pops chains and pushes them back. A negative return
   * (enum hv_err) marks the device broken. */
  int (*notify)(void *dev, struct virtio_mmio *t, uint16_t queue);
  /* Device-specific part of a reset (status <- 0). */
  void (*reset)(void *dev);
};

struct virtio_mmio {
  const char *name;
  const struct virtio_dev_ops *ops;
  void *dev;
  const struct dev_env *env;
  uint64_t base;
  uint32_t gsi;
  uint64_t device_features;
  uint8_t *config;     /* device configuration space, little-endian, owned by the device */
  uint32_t config_len;

  uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
  uint64_t driver_features;
  uint32_t status;
  uint32_t int_status;
  uint32_t config_generation;
  struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
  bool broken;
  int broken_err;
  uint64_t ignored_accesses;
};

void virtio_mmio_init(struct virtio_mmio *t, const char *name, const struct virtio_dev_ops *ops,
                      void *dev, const struct dev_env *env, uint64_t base, uint32_t gsi,
                      uint64_t device_features, uint8_t *config, uint32_t config_len);

/* Registers the device's window on an MMIO bus. */
int virtio_mmio_attach(struct virtio_mmio *t, struct bus *mmio);

/* Marks used buffers available on `queue` and raises the interrupt line, unless the driver
 * suppressed notifications on that queue (vq_interrupt_suppressed). */
void virtio_mmio_signal_used(struct virtio_mmio *t, uint16_t queue);

/* Marks the device broken (see above) because of err; what names the request being handled. */
void virtio_mmio_fail(struct virtio_mmio *t, int err, uint16_t queue);

/* True when queue `q` can be processed: DRIVER_OK, not broken, queue ready. */
bool virtio_mmio_queue_live(const struct virtio_mmio *t, uint16_t q);

/* The bus callbacks (exposed for the fuzz target, which drives the window directly). */
uint64_t virtio_mmio_read(void *ctx, uint64_t off, uint8_t size);
void virtio_mmio_write(void *ctx, uint64_t off, uint8_t size, uint64_t value);

#endif /* DEV_VIRTIO_MMIO_H */
