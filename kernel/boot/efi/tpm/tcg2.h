/*
 * The firmware's TPM 2.0 interface, EFI_TCG2_PROTOCOL (TCG EFI Protocol Specification for TPM 2.0,
 * section 6): located once, used through SubmitCommand. A boot service: usable only before
 * ExitBootServices, so D0 uses it in ab_select(); after ExitBootServices (the commit) D0 talks to
 * the TPM through its own drivers, direct.h (kernel/docs/ab.md, "Slots, updates and rollback").
 */
#ifndef D0_BOOT_EFI_TPM_TCG2_H
#define D0_BOOT_EFI_TPM_TCG2_H

#include "efi/efi_system.h"
#include "floor.h"

/* Fills *t with a transport over the firmware's TCG2 protocol; 0, or -1 when the firmware has
 * none (no TPM, or a firmware built without TPM support). */
int tcg2_link(EFI_SYSTEM_TABLE *st, struct tpm_link *t);

#define TCG2_EVENT_TEXT_MAX 160 /* the event-log description, truncated beyond */

/*
 * HashLogExtendEvent on a link tcg2_link() filled: the firmware hashes data (data_len bytes) in
 * every active PCR bank, extends PCR pcr with the hashes and appends an event-log entry of type
 * event_type whose event data is text (ASCII, no terminator, at most TCG2_EVENT_TEXT_MAX bytes).
 * Returns 0 or the EFI_STATUS.
 */
uint64_t tcg2_hash_log_extend(const struct tpm_link *t, uint32_t pcr, uint32_t event_type,
                              const uint8_t *data, size_t data_len, const char *text);

#endif
