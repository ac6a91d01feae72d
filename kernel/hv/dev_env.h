/*
 * What a device model may use of the VM it is attached to: the guest's memory (through the
 * checked translation only), its interrupt lines, its name for events, and its counters. Devices
 * see nothing else of the VM, which keeps kernel/dev independent of kernel/hv/vm.c.
 */
#ifndef HV_DEV_ENV_H
#define HV_DEV_ENV_H

#include <stdint.h>

#include "arch/arch.h"
#include "hv/exit_count.h"
#include "hv/guest_mem.h"

/* Per-VM counters. Exits are counted by reason in kernel/hv/exit.c. */
struct hv_stats {
  uint64_t exits[ARCH_EXIT_REASON_COUNT];
  uint64_t exits_bad_reason;
  uint64_t pio_unclaimed;
  uint64_t mmio_unclaimed;
  uint64_t msr_unknown;
  uint64_t blk_requests;
  uint64_t blk_read_bytes;
  uint64_t blk_write_bytes;
  uint64_t blk_errors;
  uint64_t net_tx_frames; /* frames handed to the bridge (a TSO chain's segments each) */
  uint64_t net_tx_chains; /* TX chains taken from the guest (one per frame it queued) */
  uint64_t net_rx_frames;
  uint64_t net_drops;
  uint64_t dev_broken;
  uint64_t run_ns;
  /* Where the io and mmio exits went (per port / guest-physical address and direction). */
  struct exit_counts io_at, mmio_at;
};

struct platform;

struct dev_env {
  const struct guest_mem *mem;
  struct arch_vm *avm;
  const char *vm_name;
  struct hv_stats *stats;
  /* The VM's interrupt controller (kernel/dev/platform), or NULL for a VM without platform
   * devices (host tests): device lines then go to arch_irq_set_level. */
  struct platform *platform;
};

#endif /* HV_DEV_ENV_H */
