/*
 * The UEFI entry point. It is not stack-protected because it runs before the guard is seeded
 * (a protected frame entered with the placeholder guard would fail its own check on return).
 *
 * Contract with the firmware: efi_main returns only when the boot failed before any VM was
 * launched (ev=boot_failed: a failed check, no usable virtualization, ...; then ev=exit with the
 * error status). A build that launches never returns: D0 exits boot services, runs the VMs,
 * hands their health verdict to the A/B stage (ab.h: commit, or roll a trial back by a reset)
 * and halts once every VM has stopped (ev=halt). Returning - rather than halting - on a failure
 * hands control back to the boot manager, which moves on to the next Boot#### entry: that is the
 * hook the A/B slot logic uses to fall back to the other slot. Either way nothing is launched
 * from a build that failed a check.
 */
#include <stddef.h>

#include "ab/ab.h"
#include "boot.h"
#include "clock.h"
#include "efi/efi_system.h"
#include "log/log.h"
#include "stack_guard.h"

#ifdef D0_SELFTEST_STACK_SMASH
/*
 * Test builds only (make EXTRA_CFLAGS=-DD0_SELFTEST_STACK_SMASH, test/boot/stack-guard.test.ts):
 * overflows a protected frame so the test sees the guard fire in the real firmware environment.
 * Release builds never define the macro, so this code is not in them.
 */
__attribute__((noinline)) static void selftest_stack_smash(volatile size_t n) {
  char buf[16];
  for (size_t i = 0; i < n; i++)
    ((volatile char *)buf)[i] = 'A';
}
#endif

__attribute__((no_stack_protector)) EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
  enum stack_guard_source src = stack_guard_init(st, image);
  efi_clock_init(st->BootServices); /* before the first event: every event carries ms= */
#ifdef D0_SELFTEST_STACK_SMASH
  log_begin("selftest_stack_smash");
  log_end();
  selftest_stack_smash(64);
#endif
  /* The boot manager arms a 5-minute watchdog before starting an image (UEFI 2.10, 3.1.2);
   * D0 stays resident, so disarm it. The A/B health stage re-arms one on purpose. */
  EFI_STATUS wd = st->BootServices->SetWatchdogTimer(0, 0, 0, 0);
  EFI_STATUS s = d0_boot(image, st, src, wd);
  if (EFI_ERROR(s))
    ab_boot_failed(); /* a failed trial rolls back (resets into the last good slot) */
  log_begin("exit");
  log_hex("status", s);
  log_end();
  return s;
}
