/*
 * Events of the hypervisor core and of the CPU, into the boot log: hv_event_sink (hv/event.h),
 * the guests' console lines, and x86_exception (arch/x86/desc.h), D0's handler for a CPU
 * exception in D0 itself. A VM's device and diagnostic events and its console lines each go
 * through that VM's log budget (hv/log_budget.h).
 */
#ifndef D0_BOOT_EFI_LAUNCH_EVENTS_H
#define D0_BOOT_EFI_LAUNCH_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "vms.h"

/* The VMs whose events are budgeted: vms[0..*n_prepared), found by name. Until this is called
 * (or while *n_prepared is 0), every event is logged. */
void launch_events_track(struct launched_vm *vms, const uint32_t *n_prepared);

/* A console line of the guest (vm_config.console): ctx is its struct launched_vm. */
void launch_console_line(void *ctx, const char *line, size_t len);

#endif
