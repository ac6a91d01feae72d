#include "clock.h"

#include <stdint.h>

#include "arch/arch.h"
#include "arch/x86/time.h"
#include "arch/x86/x86.h"
#include "log/log.h"

#define TSC_CALIBRATE_US 10000u
#define TSC_CALIBRATE_ROUNDS 5u

static uint64_t d0_ms(void) { return arch_time_ns() / 1000000u; }

void efi_clock_init(EFI_BOOT_SERVICES *bs)
{
  uint64_t start = x86_rdtsc();
  uint64_t best = UINT64_MAX;
  for (uint32_t i = 0; i < TSC_CALIBRATE_ROUNDS; i++) {
    uint64_t t0 = x86_rdtsc();
    bs->Stall(TSC_CALIBRATE_US);
    uint64_t d = x86_rdtsc() - t0;
    if (d < best)
      best = d;
  }
  x86_time_calibrate(best, TSC_CALIBRATE_US);
  /* The origin is D0's entry, not the end of the calibration. */
  x86_time_set_origin(start);
  log_set_clock(d0_ms);
}
