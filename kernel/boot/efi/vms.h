/*
 * The VMs of one boot: one per container of the verified manifest, in launch order. vm_build.c
 * fills them before ExitBootServices (memory, devices, boot registers); run_vms.c runs them after
 * it, each on the CPU it is placed on, and turns their health into the A/B verdict.
 */
#ifndef D0_BOOT_EFI_VMS_H
#define D0_BOOT_EFI_VMS_H

#include <stdbool.h>
#include <stdint.h>

#include "d0/manifest.h"
#include "dev/virtio/blk_backing.h"
#include "dev/virtio/bridge.h"
#include "dev/virtio/virtio_blk.h"
#include "dev/virtio/virtio_net.h"
#include "hv/health.h"
#include "hv/linux_boot.h"
#include "hv/log_budget.h"
#include "hv/vm.h"

struct launched_vm {
  struct vm vm;
  struct blk_backing disk;
  struct virtio_blk blk;
  struct virtio_net net;
  struct bridge_port *port; /* eth0 on the build's static bridge (dev/virtio/bridge.h) */
  struct boot_regs regs;
  /* Where each vCPU runs and how it waits (run_vms.c). */
  struct vcpu_slot {
    uint32_t cpu;          /* the CPU slot that runs it (ev=vm_cpu) */
    uint64_t halted_ns;    /* when it last halted (vm.cpu[i].halted) */
    /* Time it could have run but its CPU was busy with another vCPU or with D0 (ev=vcpu_stats
     * wait_ms): from the end of a slice it left runnable (not halted) to the start of its next. */
    uint64_t ready_since_ns, wait_ns;
    uint64_t wakeups_seen; /* platform_wakeups when run_vms.c last looked (its kick) */
  } slot[VM_VCPUS_MAX];
  struct health last;      /* the last verdict logged as ev=vm_health */
  bool stop_logged;        /* ev=vm_stopped and ev=vm_stats written */
  struct net_counters net_logged; /* port->counters as the last ev=net_stats gave them */
  /* Log fairness (hv/log_budget.h): this VM's console lines and its device/diagnostic events
   * each have a bucket; the first drop of each kind is announced once (ev=log_throttled). */
  struct log_budget console_budget, event_budget;
  bool console_throttled, events_throttled;
  /* Memory accounting for ev=vm_stats: D0's own bytes for this VM (this record, the overlay's
   * key table, arch pages: VMCB/VMCS, permission maps, nested tables), the copy-on-write overlay
   * for the root disk's writes, and the guest's RAM. */
  uint64_t d0_bytes, overlay_bytes, ram_bytes;
};

/* Runs vms[0..n) (already prepared) until every one has stopped; never returns. */
__attribute__((noreturn)) void run_vms(struct launched_vm *vms, uint32_t n);

#endif
