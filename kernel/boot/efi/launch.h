/*
 * Stage 2: launch the verified build. Called once, after ev=ready_to_launch, with the ESP and the
 * verified manifest. It checks that this CPU has a virtualization backend (failing closed with
 * ev=boot_failed reason=no_virtualization), takes the guest kernel and every container's disk
 * from stage 1's verified copies in memory (a file stage 1 had no pages for is read now and its
 * SHA-256 checked: a mismatch fails closed with reason=digest_mismatch stage=launch), prepares one micro-VM per
 * container in launch order (boot_order, then name), leaves the firmware (ExitBootServices) and
 * runs them all (run_vms.c), whose health then commits or rolls back the build (ab/ab.h).
 * kernel/docs/hypervisor.md "Hypervisor backends" documents the events.
 *
 * Returns only on failure before ExitBootServices (nothing launched, firmware intact); after it,
 * D0 owns the machine and never returns.
 */
#ifndef D0_BOOT_EFI_LAUNCH_H
#define D0_BOOT_EFI_LAUNCH_H

#include "d0/manifest.h"
#include "efi/efi_system.h"
#include "esp.h"
#include "files.h"

/* files: what stage 1 verified and holds in memory (used as it is, never read again). */
EFI_STATUS d0_launch(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct esp *esp,
                     const struct d0_manifest *m, const struct verified_files *files);

#endif
