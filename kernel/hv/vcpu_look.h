/*
 * Where a vCPU was when D0 last saw it, for ev=vcpu_state: logged for each vCPU of a VM whose
 * health failed (boot/efi/run_vms.c), so a guest that never became ready can be told apart from
 * the log alone: one that computes (its last exit the host tick's), one halted
 * for an interrupt that never comes (its APIC timer masked or not counting, a vector stuck in
 * service at or above the one requested, TPR raised), one with interrupts off (IF clear), or an
 * AP that was never started.
 */
#ifndef HV_VCPU_LOOK_H
#define HV_VCPU_LOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vm.h"

#define VCPU_LOOK_NO_TIMER (-1) /* timer_in_ms: the APIC timer is not counting */

struct vcpu_look {
  const char *state; /* "wait-init", "wait-sipi", "starting", "running" */
  bool halted;
  uint64_t exits, run_ms;
  const char *last_exit; /* exit_reason_name of its last exit ("none" before the first) */
  uint64_t rip, rflags;  /* at that exit */
  /* Its local APIC (VMs with the platform devices; has_lapic false otherwise). */
  bool has_lapic, lapic_on;
  int isr, irr;          /* highest vector in service / requested; -1 when none */
  uint32_t tpr, lvt_timer;
  int64_t timer_in_ms;   /* to the timer's next expiry (0 when due); VCPU_LOOK_NO_TIMER */
  uint64_t timer_fired, accepted;
};

/* vcpu < vm->vcpus; reads only (under the caller's lock: the vCPU's CPU writes these). */
void vm_vcpu_look(const struct vm *vm, uint32_t vcpu, uint64_t now_ns, struct vcpu_look *out);

#endif /* HV_VCPU_LOOK_H */
