/*
 * The firmware's boot variables (UEFI 2.10, 3.1-3.3) as D0 uses them:
 *   Boot#### with #### = D000 + the slot's partition number: "D0 slot A" -> the slot's
 *     EFI\BOOT\BOOTX64-<uuid>.EFI on that partition. Rewritten only when its bytes change.
 *   BootNext = one slot's entry: the one-shot trial boot (the firmware deletes it once used).
 *   BootOrder: the committed slot's entry first, other D0 entries removed, the firmware's own
 *     entries kept after it (so a blank or broken slot still falls back to them).
 */
#ifndef D0_BOOT_EFI_AB_BOOTVARS_H
#define D0_BOOT_EFI_AB_BOOTVARS_H

#include "slots.h"

#define AB_BOOT_ENTRY_BASE 0xD000u

uint16_t ab_boot_entry(const struct ab_slot *s);
/* Writes Boot#### for slot s booting BOOTX64-<uuid>.EFI. */
EFI_STATUS ab_bootvar_set(EFI_RUNTIME_SERVICES *rt, const struct ab_slot *s);
EFI_STATUS ab_bootnext_set(EFI_RUNTIME_SERVICES *rt, uint16_t entry);
/* Puts entry first in BootOrder (removing other D0 entries); no write when already so. */
EFI_STATUS ab_bootorder_first(EFI_RUNTIME_SERVICES *rt, uint16_t entry);

#endif
