/*
 * First install over the network (kernel/docs/pull.md "A blank host"): a host whose firmware
 * netboots D0 (UEFI PXE: DHCP names D0's EFI image on the site's TFTP server) and whose disk is
 * blank gets its target build without anyone touching it:
 *
 *   1. its pointer, hosts/<mac>.d0ptr, by TFTP from the boot server that served D0 (the DHCP
 *      ACK's siaddr), checked like a pull's (pull/target.h: signature with D0's key, the epoch
 *      floor of any state the host's NVRAM still holds, the loader digest, the semantic rules)
 *      and naming an update server (update.url);
 *   2. a blank disk (install/blank_disk.h) laid out as an empty A/B disk (install/layout.h);
 *   3. the build fetched over HTTP into slot A, in the pull's power-safe order (pull/install.h);
 *   4. Boot#### for slot A first in BootOrder, then a reset: the firmware boots slot A's D0,
 *      which boots the build as a first boot and commits it once healthy (kernel/docs/ab.md).
 *
 * Nothing is written unless the pointer verifies and a blank disk is there; a disk with any
 * data is never touched. Every failure is logged (ev=install_done result=failed reason=) and
 * returns to the firmware, which goes on with its next boot option.
 */
#ifndef D0_BOOT_EFI_INSTALL_NETBOOT_H
#define D0_BOOT_EFI_INSTALL_NETBOOT_H

#include "efi/efi_system.h"

/* 1 when D0 was loaded over the network (its device has EFI_PXE_BASE_CODE_PROTOCOL). */
int netboot_detect(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

/* Steps 1-4; resets on success, else returns the failure's status. */
EFI_STATUS netboot_install(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

#endif
