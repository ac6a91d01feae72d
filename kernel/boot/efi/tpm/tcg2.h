/*
 * The firmware's TPM 2.0 interface, EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification for TPM 2.0,
 * section 6): located once, used through SubmitCommand. A boot service: usable only before
 * ExitBootServices, which is why D0 reads and raises the TPM floor in ab_select() and not at the
 * commit (kernel/README.md, "Slots, updates and rollback").
 */
#ifndef D0_BOOT_EFI_TPM_TCG2_H
#define D0_BOOT_EFI_TPM_TCG2_H

#include "efi/efi_system.h"
#include "floor.h"

/* Fills *t with a transport over the firmware's TCG2 protocol; 0, or -1 when the firmware has
 * none (no TPM, or a firmware built without TPM support). */
int tcg2_link(EFI_SYSTEM_TABLE *st, struct tpm_link *t);

#endif
