/*
 * Building one micro-VM of the build before ExitBootServices: its disk image loaded and
 * re-verified, its RAM (2 MiB aligned, so the nested tables use 2 MiB pages throughout), its
 * copy-on-write overlay, its devices (virtio-blk over the image, virtio-net on the build's
 * bridge), its command line and the Linux boot registers (hv/linux_boot.h).
 */
#ifndef D0_BOOT_EFI_VM_BUILD_H
#define D0_BOOT_EFI_VM_BUILD_H

#include <stdint.h>

#include "d0/manifest.h"
#include "efi/efi_system.h"
#include "esp.h"
#include "vms.h"

/* Once per boot, before the first vm_build_prepare: reads the firmware's wall clock (the VMs'
 * CMOS RTC starts from it) and empties the bridge. */
void vm_build_begin(EFI_SYSTEM_TABLE *st);

/*
 * The memory this build takes before ExitBootServices, by the allocations of vm_build_prepare
 * (the same rule as core/host-memory.ts, less the firmware's own share): the guest kernel once,
 * and per VM its disk image, its RAM with 2 MiB of alignment slack, its write overlay and the
 * overlay's key table.
 */
uint64_t vm_build_bytes(const struct d0_manifest *m);

/* Takes container c's verified disk (held: stage 1's copy, or NULL to read and verify it now,
 * load.h), allocates its memory and prepares its VM in l; kernel is the verified guest kernel
 * (m->kernel_size bytes). Fails with one ev=boot_failed. */
EFI_STATUS vm_build_prepare(EFI_BOOT_SERVICES *bs, struct esp *esp, const struct d0_manifest *m,
                            const uint8_t *kernel, const struct d0_container *c, uint8_t *held,
                            struct launched_vm *l);

#endif
