#include "hv/exit.h"

#include <stddef.h>

#include "hv/cpuid.h"
#include "hv/err.h"
#include "hv/event.h"

/* Unclaimed accesses are counted always but logged only this many times per VM and bus. */
#define UNCLAIMED_LOG_LIMIT 8

typedef void (*exit_handler)(struct vm *vm, const struct arch_exit *exit);

static void on_bad_access(struct vm *vm, const struct arch_exit *exit);

/* Devices live in the 3..4 GiB hole only; anything else that is not RAM is outside the VM. */
static bool in_device_window(uint64_t a) { return a >= GUEST_LOW_RAM_MAX && a < GUEST_HIGH_RAM_BASE; }

static uint64_t bus_access(struct vm *vm, struct bus *b, const char *busname, uint64_t *unclaimed,
                           uint64_t addr, const struct arch_exit *exit)
{
  const struct bus_range *r = bus_find(b, addr, exit->size);
  if (r == NULL) {
    if ((*unclaimed)++ < UNCLAIMED_LOG_LIMIT)
      hv_event(vm->name, busname,
               exit->dir == ARCH_DIR_WRITE ? "unclaimed-write" : "unclaimed-read", 0, addr,
               exit->size);
    return bus_ones(exit->size);
  }
  if (exit->dir == ARCH_DIR_WRITE) {
    r->ops->write(r->ctx, addr - r->base, exit->size, exit->value & bus_ones(exit->size));
    return 0;
  }
  return r->ops->read(r->ctx, addr - r->base, exit->size) & bus_ones(exit->size);
}

static bool size_ok(uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

static void on_io(struct vm *vm, const struct arch_exit *exit)
{
  if (!size_ok(exit->size) || exit->size == 8) {
    vm_stop(vm, VM_FAILED, HV_E_INVAL, "bad-io-size");
    return;
  }
  exit_count_add(&vm->stats.io_at, exit->port, exit->dir == ARCH_DIR_WRITE);
  uint64_t v = bus_access(vm, &vm->pio, "pio", &vm->stats.pio_unclaimed, exit->port, exit);
  if (vm->state == VM_RUNNING)
    arch_vcpu_complete(&vm->cur->arch, exit, v);
}

static void on_mmio(struct vm *vm, const struct arch_exit *exit)
{
  if (!size_ok(exit->size)) {
    vm_stop(vm, VM_FAILED, HV_E_INVAL, "bad-mmio-size");
    return;
  }
  if (!in_device_window(gpa_addr(exit->gpa))) {
    on_bad_access(vm, exit); /* fault OUTSIDE: gpa-out-of-range */
    return;
  }
  exit_count_add(&vm->stats.mmio_at, gpa_addr(exit->gpa), exit->dir == ARCH_DIR_WRITE);
  uint64_t v =
      bus_access(vm, &vm->mmio, "mmio", &vm->stats.mmio_unclaimed, gpa_addr(exit->gpa), exit);
  if (vm->state == VM_RUNNING)
    arch_vcpu_complete(&vm->cur->arch, exit, v);
}

static void on_cpuid(struct vm *vm, const struct arch_exit *exit)
{
  uint32_t leaf = (uint32_t)exit->value, subleaf = (uint32_t)(exit->value >> 32);
  struct arch_cpuid_result r;
  /* hv/cpuid.h: an allow-list, D0's own leaves; the vCPU's index is its APIC ID. */
  cpuid_guest_view(leaf, subleaf, (uint32_t)(vm->cur - vm->cpu), &r);
  arch_vcpu_complete_cpuid(&vm->cur->arch, exit, &r);
}

/*
 * MSRs that reach generic code are the ones the backend does not virtualize itself.
 * IA32_APIC_BASE is the vCPU's local APIC's (dev/platform/vlapic.h); any other reads 0 and its
 * writes are dropped, both counted and logged (a few times) so a guest that depends on one shows
 * up in the log instead of failing silently.
 */
static void on_msr(struct vm *vm, const struct arch_exit *exit)
{
  if (exit->msr == VLAPIC_MSR_APIC_BASE && vm->has_platform) {
    struct vlapic *l = platform_current_lapic(&vm->platform);
    if (exit->dir == ARCH_DIR_WRITE)
      vlapic_base_write(l, exit->value);
    arch_vcpu_complete(&vm->cur->arch, exit, exit->dir == ARCH_DIR_WRITE ? 0 : vlapic_base_read(l));
    return;
  }
  if (vm->stats.msr_unknown++ < UNCLAIMED_LOG_LIMIT)
    hv_event(vm->name, "msr", exit->dir == ARCH_DIR_WRITE ? "unknown-wrmsr" : "unknown-rdmsr", 0,
             exit->msr, exit->value);
  arch_vcpu_complete(&vm->cur->arch, exit, 0);
}

static void on_hlt(struct vm *vm, const struct arch_exit *exit)
{
  (void)exit;
  vm->cur->halted = true;
}

static void on_shutdown(struct vm *vm, const struct arch_exit *exit)
{
  vm_stop(vm, VM_CRASHED, 0, "triple-fault");
  (void)exit;
}

static void on_entry_fail(struct vm *vm, const struct arch_exit *exit)
{
  vm_stop(vm, VM_FAILED, HV_E_ARCH, "entry-failed");
  (void)exit;
}

const char *exit_reason_name(uint32_t reason)
{
  static const char *const names[ARCH_EXIT_REASON_COUNT] = {
      [ARCH_EXIT_NONE] = "none",       [ARCH_EXIT_IO] = "io",
      [ARCH_EXIT_MMIO] = "mmio",       [ARCH_EXIT_CPUID] = "cpuid",
      [ARCH_EXIT_MSR] = "msr",         [ARCH_EXIT_HLT] = "hlt",
      [ARCH_EXIT_SHUTDOWN] = "shutdown", [ARCH_EXIT_INTR] = "intr",
      [ARCH_EXIT_ENTRY_FAIL] = "entry_fail", [ARCH_EXIT_BAD_ACCESS] = "bad_access",
  };
  return reason < ARCH_EXIT_REASON_COUNT && names[reason] != NULL ? names[reason] : "unknown";
}

/* The error that names a bad access: what the guest did (arch_fault), and for an undecoded data
 * access whether it was aimed at the device window (an instruction D0 does not emulate) or at
 * nothing at all. */
int exit_bad_access_err(const struct arch_exit *exit)
{
  switch (exit->fault) {
  case ARCH_FAULT_UNDECODED:
    return in_device_window(gpa_addr(exit->gpa)) ? HV_E_MMIO_DECODE : HV_E_RANGE;
  case ARCH_FAULT_PAGE_WALK: return HV_E_PAGE_WALK;
  case ARCH_FAULT_FETCH: return HV_E_FETCH;
  case ARCH_FAULT_STRING_IO: return HV_E_STRING_IO;
  case ARCH_FAULT_NESTED_TABLE: return HV_E_NESTED_TABLE;
  case ARCH_FAULT_EXIT: return HV_E_UNHANDLED_EXIT;
  default: return HV_E_RANGE;
  }
}

/* The backend could not emulate a fault (enum arch_fault). Only this VM stops, and nothing of
 * it reaches a device model; the error, GPA and RIP are logged. */
static void on_bad_access(struct vm *vm, const struct arch_exit *exit)
{
  int err = exit_bad_access_err(exit);
  hv_event(vm->name, "exit", "bad-access", err, gpa_addr(exit->gpa), exit->rip);
  vm_stop(vm, VM_CRASHED, err, "bad-access");
}

static void on_nothing(struct vm *vm, const struct arch_exit *exit)
{
  (void)vm, (void)exit;
}

static const exit_handler handlers[ARCH_EXIT_REASON_COUNT] = {
    [ARCH_EXIT_NONE] = on_nothing,     [ARCH_EXIT_IO] = on_io,
    [ARCH_EXIT_MMIO] = on_mmio,        [ARCH_EXIT_CPUID] = on_cpuid,
    [ARCH_EXIT_MSR] = on_msr,          [ARCH_EXIT_HLT] = on_hlt,
    [ARCH_EXIT_SHUTDOWN] = on_shutdown, [ARCH_EXIT_INTR] = on_nothing,
    [ARCH_EXIT_ENTRY_FAIL] = on_entry_fail, [ARCH_EXIT_BAD_ACCESS] = on_bad_access,
};

void exit_dispatch(struct vm *vm, const struct arch_exit *exit)
{
  if (exit->reason >= ARCH_EXIT_REASON_COUNT || handlers[exit->reason] == NULL) {
    vm->stats.exits_bad_reason++;
    hv_event(vm->name, "exit", "bad-exit-reason", HV_E_EXIT_REASON, exit->reason, exit->rip);
    vm_stop(vm, VM_FAILED, HV_E_EXIT_REASON, "vm-failed");
    return;
  }
  vm->stats.exits[exit->reason]++;
  handlers[exit->reason](vm, exit);
}
