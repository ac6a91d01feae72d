/*
 * libFuzzer target: hostile guest memory against the virtqueue, virtio-blk and virtio-net code.
 *
 * Input layout: a 32-byte control block, then guest RAM contents (copied to gpa 0, the rest of
 * the 1 MiB guest is zero):
 *   [0..2)   queue size as the driver writes it (any value: non-powers of two must be refused)
 *   [2..4)   device's last_avail start   [4..6) device's used_idx start
 *   [8..12)  desc ring gpa   [12..16) avail ring gpa   [16..20) used ring gpa  (any value)
 *   [20]     bit 0: read-only disk; bits 1..2: which paths run (blk, net tx, net rx)
 *   [21..23) rx frame length
 * Invariants checked beyond "no crash, no sanitizer report": a broken device shows
 * DEVICE_NEEDS_RESET; guest RAM outside [0, 1 MiB) is never touched (ASan would report it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/virtio/virtio_blk.h"
#include "dev/virtio/virtio_net.h"
#include "hv/err.h"

#define RAM (1u << 20)
#define CTL 32

static uint8_t *ram;
static uint8_t image[16 * 1024];
static uint8_t overlay[4 * BLK_CHUNK];
static uint64_t keys[4];
static struct virtio_blk blk;
static struct virtio_net net;

/* The tx callback: says stop after every frame when the input asks (TX throttling), else go. */
static bool throttle;
static bool sink(void *b, const uint8_t *f, uint32_t n)
{
  (void)b, (void)f, (void)n;
  return !throttle;
}

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p) { return u16(p) | (uint32_t)u16(p + 2) << 16; }

static void w(struct virtio_mmio *t, uint32_t off, uint32_t v) { virtio_mmio_write(t, off, 4, v); }

static void setup_queue(struct virtio_mmio *t, uint32_t q, const uint8_t *ctl)
{
  w(t, VIRTIO_MMIO_QUEUE_SEL, q);
  w(t, VIRTIO_MMIO_QUEUE_NUM, u16(ctl));
  w(t, VIRTIO_MMIO_QUEUE_DESC_LOW, u32(ctl + 8));
  w(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, u32(ctl + 12));
  w(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, u32(ctl + 16));
  w(t, VIRTIO_MMIO_QUEUE_READY, 1);
  t->queues[q].last_avail = u16(ctl + 2);
  t->queues[q].used_idx = u16(ctl + 4);
}

static void bring_up(struct virtio_mmio *t)
{
  w(t, VIRTIO_MMIO_STATUS, 3);
  w(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  w(t, VIRTIO_MMIO_DRIVER_FEATURES, 1);
  w(t, VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
}

static void check_broken(const struct virtio_mmio *t)
{
  if (t->broken && !(t->status & VIRTIO_STATUS_NEEDS_RESET))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < CTL)
    return 0;
  if (ram == NULL)
    ram = aligned_alloc(RAM, RAM);
  size_t n = size - CTL < RAM ? size - CTL : RAM;
  memcpy(ram, data + CTL, n);
  memset(ram + n, 0, RAM - n);
  const uint8_t *ctl = data;

  static struct guest_mem mem;
  static struct arch_vm avm;
  static struct hv_stats stats;
  guest_mem_init(&mem, ram, RAM);
  arch_vm_init(&avm);
  memset(&stats, 0, sizeof(stats));
  struct dev_env env = {&mem, &avm, "fuzz", &stats, NULL};
  struct blk_backing back;
  bool ro = ctl[20] & 1;
  blk_backing_init(&back, image, sizeof(image), ro ? NULL : overlay, ro ? NULL : keys, ro ? 0 : 4);

  if (!(ctl[20] & 2)) {
    virtio_blk_init(&blk, &env, &back, 0xd0000000ull, 5, "fuzz");
    bring_up(&blk.t);
    setup_queue(&blk.t, 0, ctl);
    w(&blk.t, VIRTIO_MMIO_STATUS, 0xf);
    w(&blk.t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    w(&blk.t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    check_broken(&blk.t);
  } else {
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    virtio_net_init(&net, &env, mac, 0xd0001000ull, 6, sink, NULL);
    bring_up(&net.t);
    setup_queue(&net.t, (ctl[20] & 4) ? VIRTIO_NET_RXQ : VIRTIO_NET_TXQ, ctl);
    w(&net.t, VIRTIO_MMIO_STATUS, 0xf);
    if (ctl[20] & 4) {
      static uint8_t frame[2048];
      virtio_net_rx(&net, frame, u16(ctl + 21) % sizeof(frame));
      virtio_net_rx(&net, frame, 60);
    } else {
      throttle = (ctl[20] & 8) != 0;
      w(&net.t, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
      w(&net.t, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ); /* ignored while throttled */
      throttle = false;
      virtio_net_tx_resume(&net);
      /* Notifications off: the looks at the next exits (the first is the notification's own). */
      virtio_net_after_exit(&net);
      virtio_net_after_exit(&net);
    }
    check_broken(&net.t);
  }
  fake_events_clear();
  return 0;
}
