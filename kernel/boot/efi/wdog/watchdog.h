/*
 * D0's hardware watchdog: the chipset's TCO timer (wdog/tco.h), so a D0 that hangs after it
 * launched its VMs is reset by the hardware, without a human. kernel/docs/ab.md ("Health, commit
 * and rollback", "The hardware watchdog") has the policy; in short:
 *
 *   watchdog_probe()  every boot, before the A/B choice (boot services still up: RCBA is MMIO
 *                     under the firmware's identity map). Finds the TCO, reads whether the last
 *                     reset was the watchdog's (watchdog_fired()), halts the timer and clears
 *                     NO_REBOOT. ev=watchdog state=found|absent.
 *   watchdog_arm()    once the VMs are started, right before the run loop (run_vms.c), in every
 *                     role: a trial, and also a committed build, which then boots again after a
 *                     hang. ev=watchdog state=armed period_ms= ticks=.
 *   watchdog_pet()    every round of the run loop (a round is at most a few 10 ms slices,
 *                     far below the period), and in every poll of D0's own TPM drivers (the
 *                     commit's TPM raise: bounded waits that together can outlast a period).
 *   watchdog_disarm() before every deliberate reset (the QEMU TCO keeps counting through a
 *                     system reset, and a running timer must not reset the next boot's firmware)
 *                     and before every deliberate halt. Logs nothing: the event that follows
 *                     (reset, halt) says why.
 * Absent hardware changes nothing else: the boot goes on without a watchdog.
 */
#ifndef D0_BOOT_EFI_WDOG_WATCHDOG_H
#define D0_BOOT_EFI_WDOG_WATCHDOG_H

#include <stdbool.h>

/*
 * From the last pet to the hardware reset, in ms: 6 s (two expiries of 5 TCO ticks of 0.6 s).
 * The run loop pets every round (milliseconds apart); 6 s leaves room for a slow emulator on a
 * loaded host and still resets a hung trial within seconds.
 */
#define D0_WATCHDOG_PERIOD_MS 6000u

void watchdog_probe(void);
/* true when the TCO's second-timeout status was set at this boot's probe. */
bool watchdog_fired(void);
void watchdog_arm(void);
void watchdog_pet(void);
void watchdog_disarm(void);

#endif
