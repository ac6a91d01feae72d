/*
 * Measured boot: after stage 1 verified the manifest and every file it references, and before
 * anything is launched (ExitBootServices), D0 extends MEASURE_PCR through the firmware's
 * EFI_TCG2_PROTOCOL (tpm/tcg2.h), one event-log entry (EV_IPL) per measurement, in this order:
 *
 *   1. the manifest's digest: SHA-256 of the signed TLV bytes (manifest-<uuid>.tlv);
 *   2. the guest kernel's digest as the manifest states it (kernel_sha256);
 *   3. each container's disk digest as the manifest states it (disk_sha256), in manifest order.
 *
 * Each measured datum is that 32-byte digest itself: the firmware hashes it, so the SHA-256 bank
 * receives PCR := SHA-256(PCR || SHA-256(digest)) per event. The files' digests were compared with
 * what was read from the ESP before this runs (files.c), so measuring the manifest's values is
 * measuring the files. `d0 manifest pcr BUILD_DIR` predicts the value; docs/measured-boot.md says
 * what a verifier can attest with it and what it does not cover.
 *
 * PCR 12: the TCG PC Client profile gives PCRs 0-7 to the firmware (OVMF/EDK II measures only
 * those) and 8-15 to the OS loader and OS; D0 is both. 12 avoids the conventions of the other
 * loaders a host might have run before (8/9 GRUB, 10 IMA, 11 unified kernel images, 14 shim).
 *
 * Never stops the boot: no TPM logs ev=measured state=absent reason=no_tcg2; a failed extend logs
 * ev=measured state=error with the event's index and the EFI status (the PCR then matches no
 * prediction, which is what a verifier should see).
 */
#ifndef D0_BOOT_EFI_MEASURE_H
#define D0_BOOT_EFI_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "d0/manifest.h"
#include "efi/efi_system.h"

#define MEASURE_PCR 12
#define MEASURE_EV_IPL 0x0000000Du /* TCG PC Client: EV_IPL */

void measure_boot(EFI_SYSTEM_TABLE *st, const uint8_t *tlv, size_t tlv_len,
                  const struct d0_manifest *m);

#endif
