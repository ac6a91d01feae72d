/* The VM and devices of the virtio host tests (contract in virtio_rig.h). */
#include "virtio_rig.h"

#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "hv/err.h"
#include "check.h"

struct vm vm;
static uint8_t *ram;
uint8_t image[IMG_SIZE], pristine[IMG_SIZE];
static uint8_t overlay[4 * BLK_CHUNK];
static uint64_t keys[4];
struct blk_backing back;
struct virtio_blk blk;
struct virtio_net net;
struct drv_q bq;
uint8_t tx_seen[2048];
uint32_t tx_len, tx_count, tx_bytes;

static bool on_tx(void *bridge, const uint8_t *frame, uint32_t len)
{
  CHECK(bridge == &net);
  CHECK(len <= sizeof tx_seen);
  if (len <= sizeof tx_seen)
    memcpy(tx_seen, frame, len);
  tx_len = len;
  tx_count++;
  tx_bytes += len;
  return true;
}

void setup(uint32_t overlay_slots)
{
  static const uint8_t mac[6] = {0x02, 0xd0, 0x00, 0x00, 0x00, 0x01};
  struct vm_config cfg = {"web", 30, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  if (ram == NULL)
    ram = aligned_alloc(2 * MIB, 4 * MIB);
  memset(ram, 0, 4 * MIB);
  for (int i = 0; i < IMG_SIZE; i++)
    image[i] = (uint8_t)(i * 7 + i / 512);
  memcpy(pristine, image, IMG_SIZE);
  fake_time_set(0);
  fake_events_clear();
  CHECK_EQ(vm_init(&vm, &cfg, ram, 4 * MIB), HV_OK);
  CHECK_EQ(vm_start(&vm, NULL), HV_OK);
  CHECK_EQ(blk_backing_init(&back, image, IMG_SIZE, overlay_slots ? overlay : NULL,
                            overlay_slots ? keys : NULL, overlay_slots), HV_OK);
  virtio_blk_init(&blk, &vm.env, &back, BLK, LAYOUT_VIRTIO_BLK_GSI, "web");
  CHECK_EQ(virtio_mmio_attach(&blk.t, &vm.mmio), HV_OK);
  virtio_net_init(&net, &vm.env, mac, NET, LAYOUT_VIRTIO_NET_GSI, on_tx, &net);
  CHECK_EQ(virtio_mmio_attach(&net.t, &vm.mmio), HV_OK);
  tx_len = tx_count = tx_bytes = 0;
}

void blk_up(void)
{
  CHECK(drv_negotiate(&vm, BLK, VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_FLUSH) &
        VIRTIO_STATUS_FEATURES_OK);
  CHECK_EQ(drv_queue(&bq, &vm, BLK, 0, QSZ, RING), 1);
  drv_driver_ok(&vm, BLK);
}

void avail_flags(struct drv_q *q, uint16_t flags)
{
  uint8_t *p = gpa_ptr(q->vm, q->avail + VIRTQ_AVAIL_FLAGS);
  p[0] = (uint8_t)flags, p[1] = (uint8_t)(flags >> 8);
}
