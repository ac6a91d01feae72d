/*
 * The stack protector's guard for the x86_64-unknown-windows target.
 *
 * With -fstack-protector-strong, clang targeting MSVC-style PE code stores
 * (__security_cookie XOR rsp) in each protected frame and, on return, calls
 * __security_check_cookie(stored XOR rsp); there is no C runtime here, so D0 provides both.
 *
 * stack_guard_init() must run before any protected function returns, so efi_main calls it first
 * and neither function is protected (this file is compiled with -fno-stack-protector, and the
 * attribute says so too). It seeds the guard from the best source present, in this order:
 *   1. RDSEED  (CPUID.(EAX=7,ECX=0):EBX[18]) - conditioned entropy straight from the CPU;
 *   2. RDRAND  (CPUID.01H:ECX[30])           - the CPU's DRBG; QEMU TCG offers it with -cpu max;
 *   3. EFI_RNG_PROTOCOL                       - when the firmware carries an RNG driver;
 *   4. a mix of the TSC and this image's load address - weak (the TSC at boot is fairly
 *      predictable), used only when none of the above exists, and reported as such.
 * Each hardware read is retried a bounded number of times, as Intel's DRNG guide advises.
 * The chosen source is returned so the boot log records it (ev=stack_guard source=...).
 */
#include <stdint.h>

#include "efi/efi_protocols.h"
#include "stack_guard.h"

#define NO_SP __attribute__((no_stack_protector))
#define HW_RNG_RETRIES 16

/* Any fixed value is only a placeholder until stack_guard_init() replaces it. */
uint64_t __security_cookie = 0x2b992ddfa232ull;

NO_SP __attribute__((noreturn)) static void guard_smashed(void) {
  static const char msg[] = "D0 ev=stack_smash\n";
  for (const char *p = msg; *p; p++) {
    /* Direct UART writes: the log module's state may be what was overwritten. */
    uint8_t c = (uint8_t)*p;
    __asm__ volatile("outb %0, %1" : : "a"(c), "Nd"((uint16_t)0x3F8));
  }
  for (;;)
    __asm__ volatile("cli; hlt");
}

NO_SP void __security_check_cookie(uint64_t cookie) {
  if (cookie != __security_cookie)
    guard_smashed();
}

NO_SP static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

NO_SP static int rdseed64(uint64_t *v) {
  for (int i = 0; i < HW_RNG_RETRIES; i++) {
    uint8_t ok;
    __asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
    if (ok)
      return 1;
  }
  return 0;
}

NO_SP static int rdrand64(uint64_t *v) {
  for (int i = 0; i < HW_RNG_RETRIES; i++) {
    uint8_t ok;
    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
    if (ok)
      return 1;
  }
  return 0;
}

NO_SP static uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* splitmix64's finalizer: spreads the few unpredictable TSC bits over the whole word. */
NO_SP static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

NO_SP static int efi_rng64(EFI_SYSTEM_TABLE *st, uint64_t *v) {
  static const EFI_GUID rng_guid = EFI_RNG_PROTOCOL_GUID;
  EFI_RNG_PROTOCOL *rng = 0;
  if (EFI_ERROR(st->BootServices->LocateProtocol(&rng_guid, 0, (void **)&rng)) || rng == 0)
    return 0;
  return !EFI_ERROR(rng->GetRNG(rng, 0, sizeof *v, (UINT8 *)v));
}

NO_SP enum stack_guard_source stack_guard_init(EFI_SYSTEM_TABLE *st, void *image_base) {
  uint32_t r[4];
  uint64_t seed = 0;
  enum stack_guard_source src = STACK_GUARD_TSC;

  cpuid(0, 0, r);
  uint32_t max_leaf = r[0];
  int has_rdseed = 0, has_rdrand = 0;
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    has_rdseed = (r[1] >> 18) & 1;
  }
  cpuid(1, 0, r);
  has_rdrand = (r[2] >> 30) & 1;

  if (has_rdseed && rdseed64(&seed))
    src = STACK_GUARD_RDSEED;
  else if (has_rdrand && rdrand64(&seed))
    src = STACK_GUARD_RDRAND;
  else if (efi_rng64(st, &seed))
    src = STACK_GUARD_EFI_RNG;
  else
    seed = mix64(rdtsc() ^ (uint64_t)(uintptr_t)image_base ^ mix64(rdtsc()));

  /* A zero guard would let a zero-filled overwrite pass; the placeholder is never kept either. */
  if (seed == 0 || seed == 0x2b992ddfa232ull)
    seed = mix64(rdtsc()) | 1;
  __security_cookie = seed;
  return src;
}

const char *stack_guard_source_name(enum stack_guard_source s) {
  switch (s) {
  case STACK_GUARD_RDSEED:
    return "rdseed";
  case STACK_GUARD_RDRAND:
    return "rdrand";
  case STACK_GUARD_EFI_RNG:
    return "efi_rng";
  case STACK_GUARD_TSC:
    return "tsc";
  }
  return "?";
}
