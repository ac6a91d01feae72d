/*
 * The UEFI entry point. It is not stack-protected because it runs before the guard is seeded
 * (a protected frame entered with the placeholder guard would fail its own check on return).
 *
 * Contract with the firmware: efi_main returns EFI_SUCCESS once the build is verified and ready
 * to launch (the hypervisor that launches it comes later), and an error status after
 * ev=boot_failed. Returning - rather than halting - hands control back to the boot manager, which
 * moves on to the next Boot#### entry: that is the hook the A/B slot logic uses to fall back to
 * the other slot. Either way nothing is launched from a build that failed a check.
 */
#include "boot.h"
#include "efi/efi_system.h"
#include "log/log.h"
#include "stack_guard.h"

__attribute__((no_stack_protector)) EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
  enum stack_guard_source src = stack_guard_init(st, image);
  /* The boot manager arms a 5-minute watchdog before starting an image (UEFI 2.10, 3.1.2);
   * D0 stays resident, so disarm it. The A/B health stage re-arms one on purpose. */
  EFI_STATUS wd = st->BootServices->SetWatchdogTimer(0, 0, 0, 0);
  EFI_STATUS s = d0_boot(image, st, src, wd);
  log_begin("exit");
  log_hex("status", s);
  log_end();
  return s;
}
