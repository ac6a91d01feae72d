#include "dev/virtio/virtio_mmio.h"

#include "d0/lib.h"
#include "dev/platform/platform.h"
#include "hv/err.h"
#include "hv/event.h"

#define IGNORED_LOG_LIMIT 8

void virtio_mmio_init(struct virtio_mmio *t, const char *name, const struct virtio_dev_ops *ops,
                      void *dev, const struct dev_env *env, uint64_t base, uint32_t gsi,
                      uint64_t device_features, uint8_t *config, uint32_t config_len)
{
  memset(t, 0, sizeof(*t));
  t->name = name;
  t->ops = ops;
  t->dev = dev;
  t->env = env;
  t->base = base;
  t->gsi = gsi;
  /* Never offered: indirect descriptors and event-index suppression (see header). */
  t->device_features =
      (device_features | VIRTIO_F_VERSION_1) & ~(VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX);
  t->config = config;
  t->config_len = config_len;
}

static void update_irq(struct virtio_mmio *t)
{
  if (t->env->platform != NULL)
    platform_irq_set_level(t->env->platform, t->gsi, t->int_status != 0);
  else
    arch_irq_set_level(t->env->avm, t->gsi, t->int_status != 0);
}

static void device_reset(struct virtio_mmio *t)
{
  t->dev_feat_sel = t->drv_feat_sel = t->queue_sel = 0;
  t->driver_features = 0;
  t->status = 0;
  t->int_status = 0;
  t->broken = false;
  t->broken_err = 0;
  for (uint32_t i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
    vq_reset(&t->queues[i]);
  if (t->ops->reset != NULL)
    t->ops->reset(t->dev);
  update_irq(t);
}

void virtio_mmio_signal_used(struct virtio_mmio *t, uint16_t queue)
{
  /* Without VIRTIO_F_EVENT_IDX the driver's only say is avail->flags (2.7.7.2: the device
   * SHOULD NOT notify while NO_INTERRUPT is set). The driver re-checks the used ring when it
   * clears the flag, so nothing is missed; each notification skipped is an interrupt the guest
   * does not take (four 8259 port exits and two MMIO exits, bench/net/README.md). */
  if (queue < VIRTIO_MMIO_MAX_QUEUES && vq_interrupt_suppressed(&t->queues[queue], t->env->mem))
    return;
  t->int_status |= VIRTIO_INT_USED_BUFFER;
  update_irq(t);
}

void virtio_mmio_fail(struct virtio_mmio *t, int err, uint16_t queue)
{
  if (t->broken)
    return;
  t->broken = true;
  t->broken_err = err;
  t->status |= VIRTIO_STATUS_NEEDS_RESET;
  t->env->stats->dev_broken++;
  hv_event(t->env->vm_name, t->name, "device-broken", err, queue, t->base);
  if (t->status & VIRTIO_STATUS_DRIVER_OK) {
    t->int_status |= VIRTIO_INT_CONFIG_CHANGE;
    update_irq(t);
  }
}

bool virtio_mmio_queue_live(const struct virtio_mmio *t, uint16_t q)
{
  return !t->broken && (t->status & VIRTIO_STATUS_DRIVER_OK) && q < t->ops->num_queues &&
         t->queues[q].ready;
}

static void ignored(struct virtio_mmio *t, const char *what, uint64_t off)
{
  if (t->ignored_accesses++ < IGNORED_LOG_LIMIT)
    hv_event(t->env->vm_name, t->name, what, 0, off, 0);
}

static struct virtq *selected(struct virtio_mmio *t)
{
  return t->queue_sel < t->ops->num_queues ? &t->queues[t->queue_sel] : NULL;
}

static uint64_t config_read(struct virtio_mmio *t, uint64_t off, uint8_t size)
{
  if (off + size > t->config_len) {
    ignored(t, "config-read-out-of-range", off);
    return 0;
  }
  uint64_t v = 0;
  for (uint8_t i = size; i-- > 0;)
    v = v << 8 | t->config[off + i];
  return v;
}

uint64_t virtio_mmio_read(void *ctx, uint64_t off, uint8_t size)
{
  struct virtio_mmio *t = ctx;
  if (off >= VIRTIO_MMIO_CONFIG)
    return config_read(t, off - VIRTIO_MMIO_CONFIG, size);
  if (size != 4 || (off & 3) != 0) {
    ignored(t, "register-read-not-32bit", off);
    return 0;
  }
  struct virtq *q = selected(t);
  switch (off) {
  case VIRTIO_MMIO_MAGIC: return VIRTIO_MMIO_MAGIC_VALUE;
  case VIRTIO_MMIO_VERSION: return 2;
  case VIRTIO_MMIO_DEVICE_ID: return t->ops->device_id;
  case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR_D0;
  case VIRTIO_MMIO_DEVICE_FEATURES:
    return t->dev_feat_sel < 2 ? (uint32_t)(t->device_features >> (32 * t->dev_feat_sel)) : 0;
  case VIRTIO_MMIO_QUEUE_NUM_MAX: return q != NULL ? VQ_MAX_SIZE : 0;
  case VIRTIO_MMIO_QUEUE_READY: return q != NULL && q->ready;
  case VIRTIO_MMIO_INTERRUPT_STATUS: return t->int_status;
  case VIRTIO_MMIO_STATUS: return t->status;
  case VIRTIO_MMIO_SHM_LEN_LOW:
  case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffffu; /* no shared memory regions */
  case VIRTIO_MMIO_CONFIG_GENERATION: return t->config_generation;
  }
  ignored(t, "register-read-unknown", off);
  return 0;
}

static void set_u64_half(gpa_t *a, uint32_t v, bool high)
{
  uint64_t x = gpa_addr(*a);
  x = high ? (x & 0xffffffffull) | (uint64_t)v << 32 : (x & ~0xffffffffull) | v;
  *a = gpa_init(x);
}

static void queue_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
  struct virtq *q = selected(t);
  if (q == NULL) {
    ignored(t, "queue-register-no-such-queue", off);
    return;
  }
  if (off == VIRTIO_MMIO_QUEUE_READY) {
    if (v == 0) {
      q->ready = false;
      return;
    }
    int err = vq_check_layout(q, t->env->mem);
    if (err < 0) {
      virtio_mmio_fail(t, err, (uint16_t)t->queue_sel);
      return;
    }
    q->ready = true;
    return;
  }
  /* 4.2.2.2: the driver must not change a queue's layout while it is ready. */
  if (q->ready) {
    ignored(t, "queue-register-while-ready", off);
    return;
  }
  switch (off) {
  case VIRTIO_MMIO_QUEUE_NUM: q->size = v > 0xffff ? 0 : (uint16_t)v; break;
  case VIRTIO_MMIO_QUEUE_DESC_LOW: set_u64_half(&q->desc, v, false); break;
  case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_u64_half(&q->desc, v, true); break;
  case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_u64_half(&q->avail, v, false); break;
  case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_u64_half(&q->avail, v, true); break;
  case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_u64_half(&q->used, v, false); break;
  case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_u64_half(&q->used, v, true); break;
  }
}

static void status_write(struct virtio_mmio *t, uint32_t v)
{
  if (v == 0) {
    device_reset(t);
    return;
  }
  if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
    bool ok = (t->driver_features & VIRTIO_F_VERSION_1) &&
              (t->driver_features & ~t->device_features) == 0;
    if (!ok) {
      hv_event(t->env->vm_name, t->name, "features-refused", 0, t->driver_features,
               t->device_features);
      v &= ~VIRTIO_STATUS_FEATURES_OK;
    }
  }
  /* The driver cannot clear NEEDS_RESET except by a reset. */
  t->status = (v & 0xffu & ~VIRTIO_STATUS_NEEDS_RESET) | (t->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void notify(struct virtio_mmio *t, uint32_t queue)
{
  if (t->broken) {
    ignored(t, "notify-while-broken", queue);
    return;
  }
  if (queue >= t->ops->num_queues || !virtio_mmio_queue_live(t, (uint16_t)queue)) {
    ignored(t, "notify-queue-not-live", queue);
    return;
  }
  int err = t->ops->notify(t->dev, t, (uint16_t)queue);
  if (err < 0)
    virtio_mmio_fail(t, err, (uint16_t)queue);
}

void virtio_mmio_write(void *ctx, uint64_t off, uint8_t size, uint64_t value)
{
  struct virtio_mmio *t = ctx;
  uint32_t v = (uint32_t)value;
  if (off >= VIRTIO_MMIO_CONFIG) {
    ignored(t, "config-write-ignored", off); /* blk and net config is read-only for drivers */
    return;
  }
  if (size != 4 || (off & 3) != 0) {
    ignored(t, "register-write-not-32bit", off);
    return;
  }
  switch (off) {
  case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->dev_feat_sel = v; return;
  case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->drv_feat_sel = v; return;
  case VIRTIO_MMIO_DRIVER_FEATURES:
    if (t->status & VIRTIO_STATUS_FEATURES_OK) {
      ignored(t, "features-after-features-ok", off);
    } else if (t->drv_feat_sel < 2) {
      uint32_t sh = 32 * t->drv_feat_sel;
      t->driver_features = (t->driver_features & ~(0xffffffffull << sh)) | (uint64_t)v << sh;
    }
    return;
  case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = v; return;
  case VIRTIO_MMIO_QUEUE_NOTIFY: notify(t, v); return;
  case VIRTIO_MMIO_INTERRUPT_ACK:
    t->int_status &= ~v;
    update_irq(t);
    return;
  case VIRTIO_MMIO_STATUS: status_write(t, v); return;
  case VIRTIO_MMIO_QUEUE_NUM:
  case VIRTIO_MMIO_QUEUE_READY:
  case VIRTIO_MMIO_QUEUE_DESC_LOW:
  case VIRTIO_MMIO_QUEUE_DESC_HIGH:
  case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
  case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
  case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
  case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: queue_write(t, off, v); return;
  }
  ignored(t, "register-write-unknown", off);
}

static const struct bus_ops virtio_mmio_ops = {virtio_mmio_read, virtio_mmio_write};

int virtio_mmio_attach(struct virtio_mmio *t, struct bus *mmio)
{
  return bus_register(mmio, t->base, VIRTIO_MMIO_WINDOW, t->name, &virtio_mmio_ops, t);
}
