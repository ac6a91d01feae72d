#include "hv/vm.h"

#include "d0/lib.h"
#include "hv/err.h"
#include "hv/event.h"
#include "hv/exit.h"
#include "hv/sipi.h"
#include "hv/status_port.h"

static int copy_name(char *dst, const char *src)
{
  size_t n = 0;
  if (src == NULL)
    return HV_E_INVAL;
  while (src[n] != '\0') {
    if (n == VM_NAME_MAX)
      return HV_E_INVAL;
    dst[n] = src[n];
    n++;
  }
  if (n == 0)
    return HV_E_INVAL;
  dst[n] = '\0';
  return HV_OK;
}

/* The guest asked for a CPU reset (port 0x92 / 0x64): a micro-VM is never rebooted in place. */
static void platform_reset(void *ctx)
{
  vm_stop(ctx, VM_CRASHED, 0, "reset");
}

/* INIT and SIPI reached AP `vcpu` (dev/platform/platform.h): the AP state machine of vm.h. A
 * SIPI to a vCPU that is not waiting for one is ignored, as by a real CPU. */
static void cpu_signal(void *ctx, uint32_t vcpu, enum platform_signal sig, uint8_t vector)
{
  struct vm *vm = ctx;
  struct vm_vcpu *c = &vm->cpu[vcpu];
  if (sig == PLATFORM_SIGNAL_INIT) {
    c->state = VCPU_WAIT_SIPI;
    c->halted = false;
    return;
  }
  if (c->state != VCPU_WAIT_SIPI)
    return;
  c->state = VCPU_STARTING;
  c->sipi_vector = vector;
}

int vm_init(struct vm *vm, const struct vm_config *cfg, void *ram, uint64_t ram_size)
{
  memset(vm, 0, sizeof(*vm));
  TRY(copy_name(vm->name, cfg->name));
  if (cfg->health_timeout_s == 0 ||
      (cfg->health != VM_HEALTH_READY && cfg->health != VM_HEALTH_EXIT_ZERO) ||
      cfg->vcpus > VM_VCPUS_MAX)
    return HV_E_INVAL;
  vm->vcpus = cfg->vcpus == 0 ? 1 : cfg->vcpus;
  vm->cur = &vm->cpu[0];
  vm->health_timeout_s = cfg->health_timeout_s;
  vm->health = cfg->health;
  TRY(guest_mem_init(&vm->mem, ram, ram_size));
  TRY(arch_vm_init(&vm->avm));
  int err = guest_mem_map(&vm->mem, &vm->avm, NULL, NULL);
  if (err < 0) {
    arch_vm_destroy(&vm->avm);
    return err;
  }
  bus_init(&vm->pio);
  bus_init(&vm->mmio);
  vm->env = (struct dev_env){&vm->mem, &vm->avm, vm->name, &vm->stats, NULL};
  err = status_port_attach(vm);
  if (err == HV_OK && cfg->wall != NULL) {
    struct platform_config pc = {cfg->wall, cfg->wall_ns, cfg->console, cfg->console_ctx,
                                 platform_reset, vm, vm->vcpus, cpu_signal, vm};
    err = platform_attach(&vm->platform, &vm->pio, &vm->mmio, &vm->env, &pc);
    vm->has_platform = err == HV_OK;
    vm->env.platform = vm->has_platform ? &vm->platform : NULL;
  }
  if (err < 0) {
    arch_vm_destroy(&vm->avm);
    return err;
  }
  vm->state = VM_CREATED;
  return HV_OK;
}

int vm_start(struct vm *vm, const struct boot_regs *regs)
{
  if (vm->state != VM_CREATED)
    return HV_E_STOPPED;
  TRY(arch_vcpu_init(&vm->cpu[0].arch, &vm->avm, 0, regs));
  vm->cpu[0].created = true;
  vm->cpu[0].state = VCPU_RUNNING;
  vm->start_ns = arch_time_ns();
  vm->state = VM_RUNNING;
  hv_event(vm->name, "vm", "vm-started", 0, vm->mem.size, 0);
  return HV_OK;
}

/*
 * The interrupt path before each entry (kernel/dev/platform/platform.h): run the timers, then
 * inject the vCPU's pending vector if the guest can take it now (acknowledging it at once, the
 * INTA cycle), else ask the backend for an exit when it can.
 */
static void deliver_interrupts(struct vm *vm, uint32_t vcpu)
{
  if (!vm->has_platform)
    return;
  struct arch_vcpu *a = &vm->cpu[vcpu].arch;
  platform_poll_vcpu(&vm->platform, vcpu, arch_time_ns());
  int v = platform_pending_vector(&vm->platform, vcpu);
  if (v < 0)
    return;
  if (arch_vcpu_can_inject(a)) {
    arch_vcpu_inject(a, (uint8_t)v);
    platform_ack(&vm->platform, vcpu, (uint8_t)v);
  } else {
    arch_vcpu_request_window(a);
  }
}

bool vm_interrupt_pending(struct vm *vm, uint32_t vcpu, uint64_t now_ns, uint64_t *next_ns)
{
  /* A VM without platform devices has nothing that could wake it: it just runs again. */
  uint64_t next = vm->has_platform ? platform_poll_vcpu(&vm->platform, vcpu, now_ns) : UINT64_MAX;
  if (next_ns != NULL)
    *next_ns = next;
  return !vm->has_platform || platform_pending_vector(&vm->platform, vcpu) >= 0;
}

int vm_run(struct vm *vm, uint32_t max_exits)
{
  return vm_run_until(vm, 0, max_exits, UINT64_MAX);
}

bool vm_vcpu_started(const struct vm *vm, uint32_t vcpu)
{
  return vcpu < vm->vcpus &&
         (vm->cpu[vcpu].state == VCPU_RUNNING || vm->cpu[vcpu].state == VCPU_STARTING);
}

static void (*guest_leave)(void), (*guest_back)(void);

void vm_set_guest_hooks(void (*leave)(void), void (*back)(void))
{
  guest_leave = leave;
  guest_back = back;
}

/* An AP's SIPI came: its backend state, in real mode at the SIPI's page (hv/sipi.h), created
 * here on the CPU that will run it. A backend that cannot stops the VM: a guest that asked for
 * a CPU it does not get would wait for it forever. */
static void start_ap(struct vm *vm, uint32_t vcpu)
{
  struct vm_vcpu *c = &vm->cpu[vcpu];
  struct boot_regs regs;
  sipi_boot_regs(c->sipi_vector, &regs);
  if (c->created)
    arch_vcpu_destroy(&c->arch);
  c->created = false;
  int err = arch_vcpu_init(&c->arch, &vm->avm, vcpu, &regs);
  if (err < 0) {
    vm_stop(vm, VM_FAILED, err, "ap-start-failed");
    return;
  }
  c->created = true;
  c->state = VCPU_RUNNING;
  hv_event(vm->name, "vcpu", "ap-started", 0, vcpu, (uint64_t)c->sipi_vector << 12);
}

int vm_run_until(struct vm *vm, uint32_t vcpu, uint32_t max_exits, uint64_t until_ns)
{
  if (vcpu >= vm->vcpus)
    return HV_E_INVAL;
  struct vm_vcpu *c = &vm->cpu[vcpu];
  if (vm->state == VM_RUNNING && c->state == VCPU_STARTING)
    start_ap(vm, vcpu);
  c->halted = false;
  for (uint32_t i = 0; i < max_exits && vm->state == VM_RUNNING && c->state == VCPU_RUNNING &&
                       !c->halted && (i == 0 || arch_time_ns() < until_ns);
       i++) {
    struct arch_exit exit = {0};
    deliver_interrupts(vm, vcpu);
    uint64_t t0 = arch_time_ns();
    if (guest_leave != NULL)
      guest_leave();
    int err = arch_vcpu_run(&c->arch, &exit);
    if (guest_back != NULL)
      guest_back();
    uint64_t in_guest = arch_time_ns() - t0;
    vm->stats.run_ns += in_guest;
    c->run_ns += in_guest;
    c->exits++;
    c->last.reason = exit.reason, c->last.rip = exit.rip, c->last.rflags = exit.rflags;
    if (err < 0) {
      vm_stop(vm, VM_FAILED, err, "arch-run-failed");
      break;
    }
    /* Another CPU may have handled another vCPU's exit while this guest ran: the current vCPU
     * is set again before every dispatch (the caller's lock makes it stick until the next). */
    vm->cur = c;
    if (vm->has_platform)
      platform_set_current(&vm->platform, vcpu);
    exit_dispatch(vm, &exit);
    if (vm->after_exit != NULL && vm->state == VM_RUNNING)
      vm->after_exit(vm->after_exit_ctx);
    /* A device that saw a hostile virtqueue (kernel/dev/virtio) broke itself; the guest that
     * built that queue is stopped too: its driver state is not to be trusted any more. */
    if (vm->stats.dev_broken != 0 && vm->state == VM_RUNNING)
      vm_stop(vm, VM_FAILED, HV_E_DEV_BROKEN, "virtqueue-abuse");
  }
  return vm->state == VM_RUNNING ? HV_OK : HV_E_STOPPED;
}

void vm_stop(struct vm *vm, enum vm_state state, int err, const char *what)
{
  if (vm->state != VM_RUNNING && vm->state != VM_CREATED)
    return;
  if (vm->has_platform)
    uart_flush(&vm->platform.uart);
  vm->state = state;
  vm->stop_err = err;
  vm->crash_ns = arch_time_ns();
  hv_event(vm->name, "vm", what, err, (uint64_t)state, 0);
}

void vm_report_exit(struct vm *vm, uint32_t status)
{
  if (vm->state != VM_RUNNING)
    return;
  if (vm->has_platform)
    uart_flush(&vm->platform.uart);
  vm->exited = true;
  vm->exit_status = status;
  vm->exit_ns = arch_time_ns();
  vm->state = VM_EXITED;
  hv_event(vm->name, "vm", "vm-exited", 0, status, vm->exit_ns - vm->start_ns);
}

void vm_report_ready(struct vm *vm)
{
  if (vm->state != VM_RUNNING || vm->ready)
    return;
  vm->ready = true;
  vm->ready_ns = arch_time_ns();
  hv_event(vm->name, "vm", "vm-ready", 0, vm->ready_ns - vm->start_ns, 0);
}

void vm_destroy(struct vm *vm)
{
  for (uint32_t i = 0; i < vm->vcpus; i++)
    if (vm->cpu[i].created)
      arch_vcpu_destroy(&vm->cpu[i].arch);
  arch_vm_destroy(&vm->avm);
}

const char *vm_state_name(enum vm_state s)
{
  switch (s) {
  case VM_CREATED: return "created";
  case VM_RUNNING: return "running";
  case VM_EXITED: return "exited";
  case VM_CRASHED: return "crashed";
  case VM_FAILED: return "failed";
  }
  return "unknown";
}
