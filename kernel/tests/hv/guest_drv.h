/*
 * A guest-side virtio driver written for the tests: it reaches the devices only as a guest does,
 * through MMIO exits delivered by the fake vCPU into the real exit dispatch, and builds its
 * rings and descriptors in the VM's guest RAM.
 */
#ifndef HV_TESTS_GUEST_DRV_H
#define HV_TESTS_GUEST_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vm.h"

/* One exit on vCPU `vcpu` through vm_run_until; returns what the guest's register received. */
uint64_t guest_exit_on(struct vm *vm, uint32_t vcpu, const struct arch_exit *exit);
/* One MMIO access on vCPU 0 through vm_run; returns what the guest's register received. */
uint64_t guest_mmio(struct vm *vm, uint64_t gpa, uint8_t size, bool write, uint64_t value);
uint32_t mmio_r(struct vm *vm, uint64_t gpa);
void mmio_w(struct vm *vm, uint64_t gpa, uint32_t v);
/* One port access through vm_run. */
uint64_t guest_pio(struct vm *vm, uint16_t port, uint8_t size, bool write, uint64_t value);

struct drv_q {
  struct vm *vm;
  uint64_t base;   /* device window */
  uint16_t index;  /* queue number */
  uint16_t size;
  uint64_t desc, avail, used; /* gpa */
  uint16_t avail_idx, used_seen;
};

/* Status ACK|DRIVER, negotiate `features` (VERSION_1 added). Returns the status read back. */
uint32_t drv_negotiate(struct vm *vm, uint64_t base, uint64_t features);
/* Sets up queue `index` of `size` entries with its rings at ring_gpa; returns QueueReady. */
uint32_t drv_queue(struct drv_q *q, struct vm *vm, uint64_t base, uint16_t index, uint16_t size,
                   uint64_t ring_gpa);
void drv_driver_ok(struct vm *vm, uint64_t base);

void drv_desc(struct drv_q *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next);
/* Publishes head in the avail ring (without notifying). */
void drv_publish(struct drv_q *q, uint16_t head);
void drv_notify(struct drv_q *q);
/* true and the element if the device returned one not yet seen. */
bool drv_used(struct drv_q *q, uint32_t *id, uint32_t *len);

void *gpa_ptr(struct vm *vm, uint64_t gpa);

#endif
