/*
 * A micro-VM: its memory, its vCPUs, its buses and devices, its lifecycle and counters.
 *
 * Lifecycle:  CREATED --vm_start--> RUNNING --> EXITED  (status port 0x501 written)
 *                                           --> CRASHED (triple fault / shutdown before an exit)
 *                                           --> FAILED  (D0 could not run it: arch failure,
 *                                                        exit reason outside the table)
 * A stopped VM never runs again; only it is affected, never D0 or another VM. A hostile
 * virtqueue breaks its device (DEVICE_NEEDS_RESET, kernel/dev/virtio) and vm_run then stops the
 * VM (FAILED, err=device-needs-reset, event virtqueue-abuse).
 *
 * vCPUs (1..VM_VCPUS_MAX): vCPU 0, the BSP, starts at the 64-bit entry in vm_start. The others
 * (APs) start as on a PC: each waits for an INIT, then for a SIPI (IPIs its local APIC receives,
 * dev/platform/platform.h), and then starts in real mode at CS = vector << 8, IP = 0 (hv/sipi.h).
 * Its backend state is created by vm_run_until on the CPU that runs it (a VMCS holds that CPU's
 * host state). Every vCPU of a VM shares its memory, buses and devices; whoever calls into a VM
 * serializes those calls (D0: one lock, boot/efi/run_vms.c), the guests themselves run in
 * parallel.
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "dev/platform/platform.h"
#include "hv/bus.h"
#include "hv/dev_env.h"
#include "hv/guest_mem.h"

#define VM_NAME_MAX 32
#define VM_VCPUS_MAX PLATFORM_VCPUS_MAX

enum vm_state { VM_CREATED, VM_RUNNING, VM_EXITED, VM_CRASHED, VM_FAILED };

/* Same values as proto/manifest.proto HealthKind. */
enum vm_health_kind { VM_HEALTH_READY = 0, VM_HEALTH_EXIT_ZERO = 1 };

struct vm_config {
  const char *name;           /* 1..VM_NAME_MAX bytes */
  uint32_t health_timeout_s;  /* 1..3600 */
  enum vm_health_kind health;
  /* Platform devices (PIC, PIT, RTC, UART, system ports: kernel/dev/platform). wall is the
   * host's UTC time (UEFI GetTime) read at arch_time_ns() == wall_ns; console receives the
   * guest's console lines. wall == NULL: a VM without platform devices (host tests that attach
   * their own). */
  const struct rtc_wall *wall;
  uint64_t wall_ns;
  uart_sink_fn console;
  void *console_ctx;
  uint32_t vcpus; /* 1..VM_VCPUS_MAX; 0 counts as 1 */
};

/* An AP waits for INIT, then for a SIPI; STARTING: the SIPI came, vm_run_until creates it. */
enum vcpu_state { VCPU_WAIT_INIT, VCPU_WAIT_SIPI, VCPU_STARTING, VCPU_RUNNING };

struct vm_vcpu {
  struct arch_vcpu arch;
  enum vcpu_state state;
  bool created;          /* arch_vcpu_init done: arch_vcpu_destroy owed */
  bool halted;           /* last exit was HLT: wait for an interrupt before running again */
  uint8_t sipi_vector;   /* STARTING: the real-mode page it starts at */
  uint64_t run_ns;       /* time in the guest */
  uint64_t exits;        /* exits it took (every reason) */
  struct {               /* its last exit, for ev=vcpu_state (hv/vcpu_look.h) */
    uint32_t reason;     /* enum arch_exit_reason; ARCH_EXIT_NONE before the first */
    uint64_t rip, rflags;
  } last;
};

struct vm {
  char name[VM_NAME_MAX + 1];
  struct guest_mem mem;
  struct arch_vm avm;
  struct vm_vcpu cpu[VM_VCPUS_MAX]; /* [0..vcpus) */
  uint32_t vcpus;
  struct vm_vcpu *cur;   /* the vCPU whose exit is being handled (exit.c) */
  struct bus pio, mmio;
  struct dev_env env;
  struct hv_stats stats;
  struct platform platform;
  bool has_platform;

  enum vm_state state;
  int stop_err;          /* why a FAILED/CRASHED VM stopped (enum hv_err or 0) */
  uint64_t start_ns;
  bool ready;            /* readiness reported (0x502 <- 1) */
  uint64_t ready_ns;
  bool exited;           /* exit status reported (0x501) */
  uint32_t exit_status;
  uint64_t exit_ns;
  uint64_t crash_ns;

  uint32_t health_timeout_s;
  enum vm_health_kind health;

  /* Called after each exit of any of its vCPUs is handled, d0_lock held (NULL: nothing): a
   * device that turned the guest's notifications off looks at its queues here
   * (dev/virtio/virtio_net.h). */
  void (*after_exit)(void *ctx);
  void *after_exit_ctx;
};

/*
 * Sets up vm over `ram` (ram_size bytes, multiple of 4 KiB): guest memory, nested mappings, the
 * buses and the status port device. Nothing runs until vm_start.
 */
int vm_init(struct vm *vm, const struct vm_config *cfg, void *ram, uint64_t ram_size);

/* Creates vCPU 0 with its initial registers and starts the health clock; the APs wait for
 * their INIT and SIPI. */
int vm_start(struct vm *vm, const struct boot_regs *regs);

/*
 * Runs vCPU 0 for at most max_exits exits, or until it halts or the VM stops.
 * HV_OK while the VM is still RUNNING, HV_E_STOPPED once it is not.
 */
int vm_run(struct vm *vm, uint32_t max_exits);

/* Runs vCPU `vcpu` like vm_run, returning also at the first exit after arch_time_ns() reached
 * until_ns (a time slice: with a host tick forcing exits, no guest keeps the CPU past it for
 * long). An AP whose SIPI came is created first; one that waits for INIT or SIPI does not run
 * (HV_OK at once). */
int vm_run_until(struct vm *vm, uint32_t vcpu, uint32_t max_exits, uint64_t until_ns);

/* Whether vCPU `vcpu` can run (started, or its SIPI came). */
bool vm_vcpu_started(const struct vm *vm, uint32_t vcpu);

/*
 * Called on each side of every guest entry of vm_run / vm_run_until (around arch_vcpu_run),
 * on the CPU that runs the VM: `leave` just before the guest runs, `back` as soon as it exited.
 * D0 (boot/efi/run_vms.c) drops and retakes its lock there, so other CPUs work while this one's
 * guest runs; everything else vm_run does (interrupt delivery, the exit's device work) runs
 * between `back` and the next `leave`. NULL (the default, and in host tests): nothing.
 */
void vm_set_guest_hooks(void (*leave)(void), void (*back)(void));

/* Runs vCPU `vcpu`'s timers up to now_ns (platform_poll_vcpu); true when an interrupt waits for
 * it (always true for a VM without platform devices). When next_ns is not NULL it gets the time
 * those timers next need a poll (UINT64_MAX: none), what an idle CPU may sleep until. */
bool vm_interrupt_pending(struct vm *vm, uint32_t vcpu, uint64_t now_ns, uint64_t *next_ns);

/* Stops the VM for good. state is VM_CRASHED or VM_FAILED; err/what are logged. */
void vm_stop(struct vm *vm, enum vm_state state, int err, const char *what);

/* Status port (kernel/hv/status_port.c) reports. */
void vm_report_exit(struct vm *vm, uint32_t status);
void vm_report_ready(struct vm *vm);

void vm_destroy(struct vm *vm);

const char *vm_state_name(enum vm_state s);

#endif /* HV_VM_H */
