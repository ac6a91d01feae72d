/*
 * The firmware's boot variables (UEFI 2.10, 3.1-3.3) as D0 uses them:
 *   Boot#### with #### = D000 + the slot's partition number: "D0 slot A" -> the slot's
 *     EFI\BOOT\BOOTX64-<uuid>.EFI on that partition. Rewritten only when its bytes change.
 *   BootNext = one slot's entry: the one-shot trial boot (the firmware deletes it once used).
 *   BootOrder: the committed slot's entry first, then the fallback slot's entry (the build that
 *     was committed before, while its slot still holds it), other D0 entries removed, the
 *     firmware's own entries kept after them. A committed D0 that the firmware cannot load, or
 *     that refuses its own slot and returns, is followed by the fallback build's D0, then by the
 *     firmware's own entries.
 */
#ifndef D0_BOOT_EFI_AB_BOOTVARS_H
#define D0_BOOT_EFI_AB_BOOTVARS_H

#include "slots.h"

#define AB_BOOT_ENTRY_BASE 0xD000u
#define AB_NO_ENTRY 0u /* no fallback entry (Boot0000 is never a D0 entry) */

uint16_t ab_boot_entry(const struct ab_slot *s);
/* Writes Boot#### for slot s booting BOOTX64-<uuid>.EFI. */
EFI_STATUS ab_bootvar_set(EFI_RUNTIME_SERVICES *rt, const struct ab_slot *s);
EFI_STATUS ab_bootnext_set(EFI_RUNTIME_SERVICES *rt, uint16_t entry);
/* BootOrder = first, second (unless AB_NO_ENTRY), then the firmware's own entries in their order;
 * every other D0 entry is removed. No write when it is already so. */
EFI_STATUS ab_bootorder_set(EFI_RUNTIME_SERVICES *rt, uint16_t first, uint16_t second);

#endif
