#include "guest_drv.h"

#include <string.h>

#include "arch/fake/fake.h"
#include "dev/virtio/virtio_mmio.h"
#include "dev/virtio/virtqueue.h"

static struct fake_step one_step;

uint64_t guest_exit_on(struct vm *vm, uint32_t vcpu, const struct arch_exit *exit)
{
  memset(&one_step, 0, sizeof(one_step));
  one_step.exit = *exit;
  fake_vcpu_script(&vm->cpu[vcpu].arch, &one_step, 1);
  vm->cpu[vcpu].arch.last_read = 0xdeadbeefdeadbeefull;
  vm_run_until(vm, vcpu, 1, UINT64_MAX);
  return vm->cpu[vcpu].arch.last_read;
}

uint64_t guest_mmio(struct vm *vm, uint64_t gpa, uint8_t size, bool write, uint64_t value)
{
  struct arch_exit e = {.reason = ARCH_EXIT_MMIO, .gpa = gpa_init(gpa), .size = size,
                        .dir = write ? ARCH_DIR_WRITE : ARCH_DIR_READ, .value = value};
  return guest_exit_on(vm, 0, &e);
}

uint64_t guest_pio(struct vm *vm, uint16_t port, uint8_t size, bool write, uint64_t value)
{
  struct arch_exit e = {.reason = ARCH_EXIT_IO, .port = port, .size = size,
                        .dir = write ? ARCH_DIR_WRITE : ARCH_DIR_READ, .value = value};
  return guest_exit_on(vm, 0, &e);
}

uint32_t mmio_r(struct vm *vm, uint64_t gpa) { return (uint32_t)guest_mmio(vm, gpa, 4, false, 0); }
void mmio_w(struct vm *vm, uint64_t gpa, uint32_t v) { guest_mmio(vm, gpa, 4, true, v); }

void *gpa_ptr(struct vm *vm, uint64_t gpa) { return (uint8_t *)ptr_from_hva(vm->mem.base) + gpa; }

uint32_t drv_negotiate(struct vm *vm, uint64_t base, uint64_t features)
{
  mmio_w(vm, base + VIRTIO_MMIO_STATUS, 0);
  mmio_w(vm, base + VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  mmio_w(vm, base + VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  features |= VIRTIO_F_VERSION_1;
  mmio_w(vm, base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  mmio_w(vm, base + VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
  mmio_w(vm, base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  mmio_w(vm, base + VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
  mmio_w(vm, base + VIRTIO_MMIO_STATUS,
         VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
  return mmio_r(vm, base + VIRTIO_MMIO_STATUS);
}

uint32_t drv_queue(struct drv_q *q, struct vm *vm, uint64_t base, uint16_t index, uint16_t size,
                   uint64_t ring_gpa)
{
  memset(q, 0, sizeof(*q));
  q->vm = vm;
  q->base = base;
  q->index = index;
  q->size = size;
  q->desc = ring_gpa;
  q->avail = ring_gpa + 16ull * size;
  q->used = (q->avail + 6 + 2ull * size + 3) & ~3ull;
  uint64_t end = q->used + 6 + 8ull * size;
  if (end <= vm->mem.low_size) /* hostile tests place rings outside RAM on purpose */
    memset(gpa_ptr(vm, ring_gpa), 0, (size_t)(end - ring_gpa));
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_SEL, index);
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_NUM, size);
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc);
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(q->desc >> 32));
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)q->avail);
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(q->avail >> 32));
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)q->used);
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(q->used >> 32));
  mmio_w(vm, base + VIRTIO_MMIO_QUEUE_READY, 1);
  return mmio_r(vm, base + VIRTIO_MMIO_QUEUE_READY);
}

void drv_driver_ok(struct vm *vm, uint64_t base)
{
  uint32_t s = mmio_r(vm, base + VIRTIO_MMIO_STATUS);
  mmio_w(vm, base + VIRTIO_MMIO_STATUS, s | VIRTIO_STATUS_DRIVER_OK);
}

void drv_desc(struct drv_q *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next)
{
  uint8_t *d = gpa_ptr(q->vm, q->desc + 16ull * i);
  memcpy(d, &addr, 8);
  memcpy(d + 8, &len, 4);
  memcpy(d + 12, &flags, 2);
  memcpy(d + 14, &next, 2);
}

void drv_publish(struct drv_q *q, uint16_t head)
{
  uint8_t *a = gpa_ptr(q->vm, q->avail);
  memcpy(a + 4 + 2 * (q->avail_idx % q->size), &head, 2);
  q->avail_idx++;
  memcpy(a + 2, &q->avail_idx, 2);
}

void drv_notify(struct drv_q *q) { mmio_w(q->vm, q->base + VIRTIO_MMIO_QUEUE_NOTIFY, q->index); }

bool drv_used(struct drv_q *q, uint32_t *id, uint32_t *len)
{
  uint8_t *u = gpa_ptr(q->vm, q->used);
  uint16_t idx;
  memcpy(&idx, u + 2, 2);
  if (idx == q->used_seen)
    return false;
  uint8_t *e = u + 4 + 8 * (q->used_seen % q->size);
  memcpy(id, e, 4);
  memcpy(len, e + 4, 4);
  q->used_seen++;
  return true;
}
