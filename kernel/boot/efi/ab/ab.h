/*
 * A/B slots with trial boots and automatic rollback. The choice runs before ExitBootServices
 * (boot services and the ESP), the commit or the health rollback after it (runtime services only).
 * kernel/docs/ab.md "Slots, updates and rollback" has the state machine and the log events.
 *
 * The boot flow (boot/efi/boot.c, entry.c) calls, in order:
 *   ab_select()      after the ESP is open: reads the NV state and both slots, may start (or
 *                    retry, or roll back) a trial; starting one sets BootNext and resets, so it
 *                    does not return then.
 *   ab_boot_allowed() right after ab_select(): 0 (after logging ev=boot_failed
 *                    reason=slot_marked_bad) when the firmware fell back to a build marked bad
 *                    (it failed its trial): boot.c then returns to the firmware's next entry.
 *   ab_epoch_ok()    once the slot's manifest is parsed: refuses an epoch below the committed one
 *                    (boot.c then checks proto/SEMANTICS.md, its epoch ceiling counted from
 *                    ab_epoch_floor_now()).
 *   ab_verified()    once the slot passed every pre-launch check: remembers its epoch; nothing is
 *                    committed yet.
 *   ab_health_passed() / ab_health_failed()
 *                    after ExitBootServices (boot/efi/run_vms.c), once, with the build's first
 *                    health verdict over all its VMs (kernel/hv/health.h): passed commits a
 *                    trial, first or recovery build through UEFI runtime services; failed logs
 *                    ev=health_failed and, for a trial only, marks it bad and resets into the last
 *                    good build. Any other role writes nothing: a committed build whose VM fails
 *                    runs on.
 *   ab_boot_failed() when the boot failed before the launch (efi_main): a trial slot is marked
 *                    bad and the machine resets into the last good build.
 * Each is a no-op (the single-slot stage 1 behaviour) when the slots cannot be found.
 */
#ifndef D0_BOOT_EFI_AB_AB_H
#define D0_BOOT_EFI_AB_AB_H

#include <stdint.h>

#include "efi/efi_system.h"

/* Trial boots a new build gets before it is rolled back. */
#define AB_TRIES 2

void ab_select(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
int ab_boot_allowed(void);
/* 1 when epoch may boot; 0 after logging ev=boot_failed reason=epoch_below. */
int ab_epoch_ok(uint64_t epoch);
/* The anti-rollback floor ab_epoch_ok enforces (0 when A/B is unavailable): what the epoch
 * ceiling of proto/SEMANTICS.md counts from. */
uint64_t ab_epoch_floor_now(void);
void ab_verified(uint64_t epoch);
/* Runtime services only: callable after ExitBootServices (identity-mapped, arch/x86/paging.h). */
void ab_health_passed(void);
/* vm: the first VM whose health failed; reason: health_reason_name(). Returns unless it reset. */
void ab_health_failed(const char *vm, const char *reason);
void ab_boot_failed(void);
/*
 * D0 itself hit a fatal fault (a CPU exception) after ExitBootServices. On a trial this resets
 * the machine at once and writes nothing: the firmware then boots BootOrder's first entry (the
 * last good build), whose D0 finds the trial still pending and retries or rolls it back
 * (tries_left), as for any trial that reset without committing. Returns otherwise (the caller
 * halts): a committed build is not reset into its fallback, which D0 cannot check after
 * ExitBootServices and which, refused or not loadable, would lead the firmware back to the
 * committed build, fault after fault (kernel/docs/ab.md, "Health, commit and rollback").
 */
void ab_fatal(const char *why);

#endif
