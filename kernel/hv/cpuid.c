#include "hv/cpuid.h"

#include "d0/lib.h"

/*
 * The allow-list. Bit names: Intel SDM vol. 2A "CPUID", AMD APM vol. 3 appendix E. A bit is let
 * through when it describes an instruction-set feature the guest can use as on bare metal, or
 * state D0 switches per vCPU (the XSAVE components, arch/x86/xstate.h). Hidden: virtualization
 * (VMX, SMX, SVM and its leaf), monitoring/power/thermal/performance-counter/debug-store
 * features whose MSRs D0 does not virtualize (they read 0, writes are dropped: kernel/hv/exit.c),
 * MONITOR/MWAIT and WAITPKG (an idle guest must HLT), x2APIC and the TSC-deadline timer (the
 * VM's local APIC is an xAPIC with its own timer only: dev/platform/vlapic.h),
 * the host's topology, SGX/PT/RDT/TME/PCONFIG/CET/AMX/XFD, SEV/SME, ARCH_CAPABILITIES and
 * L1D_FLUSH (their MSRs are not passed through). The speculation controls IBRS/IBPB, STIBP and
 * SSBD pass as the host has them: D0 virtualizes SPEC_CTRL per vCPU and carries out PRED_CMD
 * wherever the CPU has them (arch/x86/spec.h).
 */
#define BIT(n) (1u << (n))

/* Leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 FMA CX16 PCID SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE OSXSAVE
 * (replaced by the guest's CR4 bit) AVX F16C RDRAND. */
#define L1_ECX_ALLOW                                                                          \
  (BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | BIT(17) | BIT(19) | BIT(20) | BIT(22) |    \
   BIT(23) | BIT(25) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30))
#define L1_ECX_HYPERVISOR BIT(31)
/* Leaf 1 EDX: all but PSN (18), DS (21), ACPI thermal (22), TM (29), PBE (31); APIC (9) is the
 * VM's own (dev/platform/vlapic.h). */
#define L1_EDX_ALLOW (~(BIT(18) | BIT(21) | BIT(22) | BIT(29) | BIT(31)))
/* Leaf 1 EBX: brand index, CLFLUSH line size (the logical processor count in 23:16 and the
 * initial APIC ID in 31:24 are the host's: replaced, see GUEST TOPOLOGY). */
#define L1_EBX_ALLOW 0x0000ffffu
#define L1_EDX_HTT BIT(28)

/* Leaf 7.0 EBX: FSGSBASE BMI1 HLE AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS INVPCID RTM FPU-CS/DS-
 * deprecation AVX512F AVX512DQ RDSEED ADX SMAP AVX512_IFMA CLFLUSHOPT CLWB AVX512PF AVX512ER
 * AVX512CD SHA AVX512BW AVX512VL (not: TSC_ADJUST, SGX, PQM, MPX, RDT-A, PT). */
#define L7_EBX_ALLOW                                                                          \
  (BIT(0) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(10) |          \
   BIT(11) | BIT(13) | BIT(16) | BIT(17) | BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(23) |  \
   BIT(24) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
/* Leaf 7.0 ECX: PREFETCHWT1 AVX512_VBMI UMIP PKU OSPKE (the guest's CR4) AVX512_VBMI2 GFNI VAES
 * VPCLMULQDQ AVX512_VNNI AVX512_BITALG AVX512_VPOPCNTDQ RDPID MOVDIRI MOVDIR64B (not: WAITPKG,
 * CET, TME, LA57, KL, BUS_LOCK_DETECT, CLDEMOTE, ENQCMD, SGX_LC, PKS). */
#define L7_ECX_ALLOW                                                                          \
  (BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(6) | BIT(8) | BIT(9) | BIT(10) |          \
   BIT(11) | BIT(12) | BIT(14) | BIT(22) | BIT(27) | BIT(28))
/* Leaf 7.0 EDX: AVX512_4VNNIW AVX512_4FMAPS FSRM AVX512_VP2INTERSECT MD_CLEAR (VERW is an
 * instruction) SERIALIZE AVX512_FP16 IBRS/IBPB STIBP SSBD (not: L1D_FLUSH, ARCH_CAPABILITIES,
 * CORE_CAPABILITIES, AMX, hybrid, PCONFIG, CET_IBT, TSXLDTRK). */
#define L7_EDX_ALLOW                                                                          \
  (BIT(2) | BIT(3) | BIT(4) | BIT(8) | BIT(10) | BIT(14) | BIT(23) | BIT(26) | BIT(27) |     \
   BIT(31))

/* XSAVE components shown in leaf 0xD: CPUID_XCR0_ALLOW (cpuid.h). */
#define XCR0_ALLOW ((uint32_t)CPUID_XCR0_ALLOW)
/* Leaf 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV-ECX=1 XSAVES (not XFD). */
#define LD1_EAX_ALLOW (BIT(0) | BIT(1) | BIT(2) | BIT(3))

/* 0x80000001 ECX: LAHF/SAHF CMP_LEGACY LZCNT SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM (not:
 * SVM, EXTAPIC, CR8_LEGACY, OSVW, IBS, SKINIT, WDT, LWP, NODEID, TOPOEXT, the performance
 * counters, MONITORX). */
#define L81_ECX_ALLOW                                                                         \
  (BIT(0) | BIT(1) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(11) | BIT(16) | BIT(21))
/* 0x80000001 EDX: instruction-set bits (SYSCALL, NX, 1 GiB pages, RDTSCP, LM, ...) and APIC (9,
 * as in leaf 1): all passed. */
#define L81_EDX_ALLOW 0xffffffffu
/* 0x80000007 EDX: invariant TSC only. */
#define L87_EDX_ALLOW BIT(8)
/* 0x80000008 EBX: CLZERO, XSAVEERPTR, WBNOINVD, IBPB, IBRS, STIBP, SSBD (not: VIRT_SSBD, the
 * *_ALWAYS_ON/preferred hints and the rest). */
#define L88_EBX_ALLOW (BIT(0) | BIT(2) | BIT(9) | BIT(12) | BIT(14) | BIT(15) | BIT(24))

static void host(uint32_t leaf, uint32_t subleaf, struct arch_cpuid_result *r)
{
  arch_host_cpuid(leaf, subleaf, r);
}

static void d0_leaves(uint32_t leaf, struct arch_cpuid_result *r)
{
  if (leaf != 0x40000000u)
    return; /* 0x40000001: no paravirtual features; the rest of the range is empty */
  uint32_t sig[3];
  memcpy(sig, CPUID_D0_SIGNATURE, sizeof sig);
  r->eax = CPUID_D0_MAX_LEAF;
  r->ebx = sig[0];
  r->ecx = sig[1];
  r->edx = sig[2];
}

/*
 * GUEST TOPOLOGY: every vCPU is a package of its own with one core and one thread, its initial
 * APIC ID its index (the MP table's, hv/mptable.h): leaf 1 shows the ID, a logical processor
 * count of 1 and no HTT; leaf 4 shares no cache and has one core per package; 0x80000008 ECX
 * (AMD's core count) is 0. So Linux counts as many packages as vCPUs, whatever the host is.
 */
static void basic(uint32_t leaf, uint32_t subleaf, uint32_t apic_id, struct arch_cpuid_result *r)
{
  struct arch_cpuid_result h;
  host(0, 0, &h);
  if (leaf > h.eax || leaf > CPUID_BASIC_MAX)
    return;
  switch (leaf) {
  case 0:
    *r = h;
    r->eax = h.eax < CPUID_BASIC_MAX ? h.eax : CPUID_BASIC_MAX;
    return;
  case 1:
    host(1, 0, r);
    r->ebx = (r->ebx & L1_EBX_ALLOW) | (1u << 16) | ((apic_id & 0xffu) << 24);
    r->ecx = (r->ecx & L1_ECX_ALLOW) | L1_ECX_HYPERVISOR;
    r->edx &= L1_EDX_ALLOW & ~L1_EDX_HTT;
    return;
  case 4: /* deterministic cache parameters: sharing and cores per package are topology */
    host(4, subleaf, r);
    r->eax &= 0x3fffu;
    return;
  case 2: /* cache and TLB descriptors */
  case 0x15: /* TSC / crystal clock ratio */
  case 0x16: /* processor frequencies */
    host(leaf, subleaf, r);
    return;
  case 7:
    if (subleaf != 0)
      return;
    host(7, 0, r);
    r->eax = 0; /* the only subleaf shown */
    r->ebx &= L7_EBX_ALLOW;
    r->ecx &= L7_ECX_ALLOW;
    r->edx &= L7_EDX_ALLOW;
    return;
  case 0xd:
    if (subleaf == 0) {
      host(0xd, 0, r);
      r->eax &= XCR0_ALLOW;
      r->edx = 0; /* XCR0 bits 32-63: none allowed */
    } else if (subleaf == 1) {
      host(0xd, 1, r);
      r->eax &= LD1_EAX_ALLOW;
      r->ecx = r->edx = 0; /* no supervisor component */
    } else if (subleaf < 32 && (XCR0_ALLOW & BIT(subleaf))) {
      host(0xd, subleaf, r);
    }
    return;
  default: /* 3, 5, 6, 8-0xc, 0xe-0x14: serial number, MONITOR, power, DCA, PMU, topology,
              RDT, SGX, PT: not shown */
    return;
  }
}

static void extended(uint32_t leaf, struct arch_cpuid_result *r)
{
  struct arch_cpuid_result h;
  host(0x80000000u, 0, &h);
  if (leaf > h.eax || leaf > CPUID_EXT_MAX)
    return;
  switch (leaf) {
  case 0x80000000u:
    *r = h;
    r->eax = h.eax < CPUID_EXT_MAX ? h.eax : CPUID_EXT_MAX;
    return;
  case 0x80000001u:
    host(leaf, 0, r);
    r->ecx &= L81_ECX_ALLOW;
    r->edx &= L81_EDX_ALLOW;
    return;
  case 0x80000002u: /* the brand string */
  case 0x80000003u:
  case 0x80000004u:
  case 0x80000005u: /* L1 caches and TLBs (AMD) */
  case 0x80000006u: /* L2/L3 */
    host(leaf, 0, r);
    return;
  case 0x80000007u:
    host(leaf, 0, r);
    r->eax = r->ebx = r->ecx = 0;
    r->edx &= L87_EDX_ALLOW;
    return;
  case 0x80000008u:
    host(leaf, 0, r);
    r->eax &= 0xffffu; /* physical and linear address sizes */
    r->ebx &= L88_EBX_ALLOW;
    r->ecx = r->edx = 0; /* core counts and APIC ID size: the host's topology */
    return;
  default:
    return;
  }
}

void cpuid_guest_view(uint32_t leaf, uint32_t subleaf, uint32_t apic_id,
                      struct arch_cpuid_result *out)
{
  memset(out, 0, sizeof *out);
  if (leaf < 0x40000000u)
    basic(leaf, subleaf, apic_id, out);
  else if (leaf < 0x50000000u)
    d0_leaves(leaf, out);
  else if (leaf >= 0x80000000u && leaf < 0x90000000u)
    extended(leaf, out);
  /* anything else (e.g. the Transmeta and Centaur ranges): zeros */
}
