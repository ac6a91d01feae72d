/*
 * Where the committed security_epoch's floor comes from. Without a TPM it is the NV state's epoch
 * (D0AbState, state.h), as before; clearing the firmware's variables resets it. With a TPM 2.0
 * (EFI_TCG2_PROTOCOL) the floor is max(TPM index, NV state): the TPM index (tpm/floor.h) survives
 * a cleared NVRAM, and the NV state is its cache.
 *
 * ab_epoch_floor() runs in ab_select(), before ExitBootServices (the TCG2 protocol is a boot
 * service). It raises s->epoch to the floor and, when the NV state's epoch is above the TPM's
 * (the first boot with a TPM, or a commit whose own raise failed), raises the TPM index to it,
 * defining the index on first use. Logs ev=epoch_floor source=tpm|nvram value=N. It also probes
 * the TPM's register interface (ev=tpm_interface) for D0's own drivers (tpm/direct.h).
 *
 * ab_epoch_floor_commit() runs at the commit, after ExitBootServices, once the NV state holds
 * the new epoch: it raises the TPM index to it through D0's TIS or CRB driver (ev=tpm_floor_raised
 * at=commit), so a cleared NVRAM cannot bring back the previous floor. It never lowers the index
 * and does nothing when the boot's TPM read failed or there was no TPM. A failure logs
 * ev=tpm_error at=commit (or ev=tpm_floor_deferred when D0's driver cannot reach it) and leaves
 * the commit as it is: the NV state has the epoch and the next boot's ab_epoch_floor() raises the
 * TPM from it.
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
void ab_epoch_floor_commit(uint64_t epoch);

#endif
