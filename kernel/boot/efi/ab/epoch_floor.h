/*
 * Where the committed security_epoch's floor comes from. Without a TPM it is the NV state's epoch
 * (D0AbState, state.h), as before; clearing the firmware's variables resets it. With a TPM 2.0
 * (EFI_TCG2_PROTOCOL) the floor is max(TPM index, NV state): the TPM index (tpm/floor.h) survives
 * a cleared NVRAM, and the NV state is its cache.
 *
 * ab_epoch_floor() runs in ab_select(), before ExitBootServices (the TCG2 protocol is a boot
 * service). It raises s->epoch to the floor and, when the NV state's epoch is above the TPM's
 * (a build committed since the last boot, or the first boot with a TPM), raises the TPM index to
 * it, defining the index on first use. So a commit (after ExitBootServices, runtime services
 * only) reaches the TPM at the next boot. Logs ev=epoch_floor source=tpm|nvram value=N.
 *
 * TPM errors fail closed as far as D0 can: any failed or malformed exchange logs ev=tpm_error
 * (op, kind, code) and the floor is the NV state's epoch (source=nvram), so every build below it
 * is still refused; D0 never redefines or lowers an index it could not read, and never hangs on
 * the TPM (SubmitCommand returns; its timeouts are the firmware's).
 */
#ifndef D0_BOOT_EFI_AB_EPOCH_FLOOR_H
#define D0_BOOT_EFI_AB_EPOCH_FLOOR_H

#include "efi/efi_system.h"
#include "state.h"

void ab_epoch_floor(EFI_SYSTEM_TABLE *st, struct ab_state *s);

#endif
