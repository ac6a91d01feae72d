#include "arch/x86/time.h"

#include "arch/arch.h"
#include "arch/x86/x86.h"

static uint64_t tsc_origin;
static uint64_t tsc_hz = 1000000000ull; /* until calibrated: 1 GHz, never 0 */
/* ns = (ticks * mult) >> 32, ticks taken in chunks small enough not to overflow 64x32 bits. */
static uint64_t mult = 1ull << 32;
static bool measured;

void x86_time_calibrate(uint64_t tsc_delta, uint64_t us)
{
  if (tsc_delta == 0 || us == 0)
    return;
  tsc_hz = tsc_delta * 1000000ull / us;
  if (tsc_hz == 0)
    tsc_hz = 1;
  /* 1e9 << 32 fits in 64 bits (4.3e18 < 1.8e19). */
  mult = (1000000000ull << 32) / tsc_hz;
  tsc_origin = x86_rdtsc();
  measured = true;
}

bool x86_tsc_measured(void) { return measured; }

uint64_t x86_tsc_hz(void) { return tsc_hz; }

void x86_time_set_origin(uint64_t tsc) { tsc_origin = tsc; }

uint64_t arch_time_ns(void)
{
  uint64_t ticks = x86_rdtsc() - tsc_origin;
  /* Split so the products stay below 2^64: high part in whole seconds of ticks. */
  uint64_t secs = ticks / tsc_hz, rest = ticks % tsc_hz;
  return secs * 1000000000ull + ((rest * mult) >> 32);
}
