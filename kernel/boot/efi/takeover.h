/*
 * Leaving the firmware: ExitBootServices, then D0 owns the CPU: its own descriptors, its own W^X
 * identity page tables over the final memory map (arch/x86/paging.h), the host tick, and
 * the VMs (run_vms.c), which never return.
 */
#ifndef D0_BOOT_EFI_TAKEOVER_H
#define D0_BOOT_EFI_TAKEOVER_H

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "efi/efi_system.h"
#include "vms.h"

/* Runs vms[0..n) (prepared) under backend. Returns only when ExitBootServices failed, after
 * ev=boot_failed reason=exit_boot_services status= tries=, with the firmware's status. */
EFI_STATUS takeover_run(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, struct launched_vm *vms,
                        uint32_t n, enum x86_backend backend);

#endif
