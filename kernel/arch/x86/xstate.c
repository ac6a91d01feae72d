#include "arch/x86/xstate.h"

#include "arch/x86/desc.h"
#include "arch/x86/pages.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"

/* CPUID.1 (Intel SDM vol. 2A, CPUID): ECX.XSAVE bit 26, EDX.FXSR bit 24. */
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUIDD1_EAX_XSAVES (1u << 3) /* CPUID.(0DH,1):EAX: XSAVES/XRSTORS and IA32_XSS */
#define MSR_XSS 0xda0u
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXSAVE (1ull << 18)
#define XCR0_RESET 1ull       /* x87 only (SDM vol. 1, 13.3) */
#define FXSAVE_BYTES 512u
#define FCW_INIT 0x037f       /* FNINIT's control word */
#define MXCSR_INIT 0x1f80     /* reset MXCSR: every SIMD exception masked */
#define FX_MXCSR_OFFSET 24    /* legacy region layout (SDM vol. 1, table 10-2) */
/* XSAVE/XRSTOR take the requested-feature bitmap in EDX:EAX; the CPU uses RFBM = XCR0 & it,
 * so "all" means: every component XCR0 enables. */
#define ALL_FEATURES 0xffffffffu

static bool probed, has_xsave;
static uint64_t supported;   /* XCR0 bits the CPU supports: CPUID.(0DH,0):EDX:EAX */
static uint32_t area_bytes;  /* CPUID.(0DH,0):ECX: the XSAVE image with all of them */
/* Per CPU (x86_cpu_index): whose registers it holds; NULL: nobody's. */
static const struct x86_xstate *owner[X86_MAX_CPUS];

static void probe(void)
{
  struct x86_cpuid r;
  x86_cpuid(1, 0, &r);
  has_xsave = (r.ecx & CPUID1_ECX_XSAVE) != 0;
  area_bytes = FXSAVE_BYTES;
  if (has_xsave) {
    x86_cpuid(0xd, 0, &r);
    supported = r.eax | ((uint64_t)r.edx << 32);
    area_bytes = r.ecx;
  }
  probed = true;
}

uint64_t x86_xstate_supported(void)
{
  if (!probed)
    probe();
  return supported;
}

uint64_t x86_xstate_clear_xss(void)
{
  if (!probed)
    probe();
  if (!has_xsave)
    return 0;
  struct x86_cpuid r;
  x86_cpuid(0xd, 1, &r);
  if (!(r.eax & CPUIDD1_EAX_XSAVES))
    return 0;
  uint64_t was = x86_rdmsr(MSR_XSS);
  if (was != 0)
    x86_wrmsr(MSR_XSS, 0);
  return was;
}

uint32_t x86_xstate_area_bytes(void)
{
  if (!probed)
    probe();
  return area_bytes;
}

static inline void write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline uint64_t xgetbv0(void)
{
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return lo | ((uint64_t)hi << 32);
}

static inline void xsetbv0(uint64_t v)
{
  __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

int x86_xstate_init(struct x86_xstate *xs)
{
  if (!probed)
    probe();
  xs->area = x86_pages_alloc((area_bytes + X86_PAGE - 1) / X86_PAGE);
  if (xs->area == NULL)
    return HV_E_FULL;
  /* Zeroed pages: an XSAVE header with XSTATE_BV = XCOMP_BV = 0, so XRSTOR puts every
   * component in its init state; only MXCSR is read from the image whatever XSTATE_BV says
   * (SDM vol. 1, 13.8.1), hence its reset value here. FCW is the init one already; it is
   * written for FXRSTOR (no XSAVE), which reads the whole legacy image. */
  uint16_t fcw = FCW_INIT;
  uint32_t mxcsr = MXCSR_INIT;
  memcpy(xs->area, &fcw, sizeof fcw);
  memcpy(xs->area + FX_MXCSR_OFFSET, &mxcsr, sizeof mxcsr);
  xs->xcr0 = XCR0_RESET;
  return HV_OK;
}

/* The OS-support bits the instructions below need, set only around them: the host's CR4 is
 * what the VMCS host-state area and the SVM host save area hold. */
static uint64_t open_cr4(void)
{
  uint64_t cr4 = x86_read_cr4();
  write_cr4(cr4 | CR4_OSFXSR | (has_xsave ? CR4_OSXSAVE : 0));
  return cr4;
}

/*
 * XSAVE and XRSTOR act only on the components enabled in XCR0 (RFBM = XCR0 & EDX:EAX), while
 * a guest's registers exist whatever its XCR0: a guest with XCR0 = 1 still has live XMM
 * registers (FXSAVE/SSE need only CR4.OSFXSR), and YMM/ZMM upper halves keep their values while
 * their XCR0 bit is clear and show again when the guest sets it. So both instructions run
 * with XCR0 = every supported component, and the vCPU's own XCR0 is loaded last. With the
 * outgoing vCPU's XCR0 instead (before), a VM with XCR0 = 1 or 3 left its XMM/YMM values to the
 * next VM, and read the previous VM's.
 */
static void save(struct x86_xstate *xs)
{
  if (has_xsave) {
    xs->xcr0 = xgetbv0();
    if (xs->xcr0 != supported)
      xsetbv0(supported);
    __asm__ volatile("xsave64 %0" : "+m"(*(uint8_t(*)[4096])xs->area)
                     : "a"(ALL_FEATURES), "d"(ALL_FEATURES) : "memory");
  } else {
    __asm__ volatile("fxsave64 %0" : "+m"(*(uint8_t(*)[512])xs->area) : : "memory");
  }
}

/* XCR0 is `supported` on entry when a save() preceded; from anything else it is set here. */
static void load(const struct x86_xstate *xs, bool xcr0_is_supported)
{
  if (has_xsave) {
    if (!xcr0_is_supported)
      xsetbv0(supported);
    __asm__ volatile("xrstor64 %0" : : "m"(*(const uint8_t(*)[4096])xs->area),
                     "a"(ALL_FEATURES), "d"(ALL_FEATURES) : "memory");
    if (xs->xcr0 != supported)
      xsetbv0(xs->xcr0);
  } else {
    __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])xs->area) : "memory");
  }
}

void x86_xstate_enter(struct x86_xstate *xs)
{
  const struct x86_xstate **mine = &owner[x86_cpu_index()];
  if (*mine == xs)
    return;
  uint64_t cr4 = open_cr4();
  bool saved = *mine != NULL;
  if (saved)
    save((struct x86_xstate *)*mine);
  load(xs, saved);
  write_cr4(cr4);
  *mine = xs;
}

void x86_xstate_forget(const struct x86_xstate *xs)
{
  for (uint32_t cpu = 0; cpu < X86_MAX_CPUS; cpu++)
    if (owner[cpu] == xs)
      owner[cpu] = NULL; /* a vCPU pinned elsewhere is forgotten there too: never saved into */
}
