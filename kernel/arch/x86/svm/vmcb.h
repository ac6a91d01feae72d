/*
 * The Virtual Machine Control Block (AMD64 APM vol. 2, rev. 3.42, appendix B "Layout of VMCB"):
 * a 4 KiB page, the control area at 0x000 (table B-1) and the state save area at 0x400
 * (table B-2). Fields are named as in the APM; every offset D0 uses is pinned below.
 */
#ifndef D0_ARCH_X86_SVM_VMCB_H
#define D0_ARCH_X86_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* B-2: a segment register in the save area. attrib is the packed form: type[3:0] S[4] DPL[6:5]
 * P[7] AVL[8] L[9] DB[10] G[11] (VMX access rights bits 0-7 and 12-15 squeezed together). */
struct vmcb_seg {
  uint16_t selector;
  uint16_t attrib;
  uint32_t limit;
  uint64_t base;
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "vmcb_seg");

struct vmcb_control {
  uint16_t cr_read, cr_write;   /* 0x000, 0x002 */
  uint16_t dr_read, dr_write;   /* 0x004, 0x006 */
  uint32_t exceptions;          /* 0x008: one bit per exception vector */
  uint32_t intercept_misc1;     /* 0x00C: SVM_I1_* */
  uint32_t intercept_misc2;     /* 0x010: SVM_I2_* */
  uint32_t intercept_misc3;     /* 0x014 */
  uint8_t reserved_018[0x03C - 0x018];
  uint16_t pause_filter_threshold; /* 0x03C */
  uint16_t pause_filter_count;     /* 0x03E */
  uint64_t iopm_base_pa;        /* 0x040 */
  uint64_t msrpm_base_pa;       /* 0x048 */
  uint64_t tsc_offset;          /* 0x050 */
  uint32_t guest_asid;          /* 0x058 */
  uint8_t tlb_control;          /* 0x05C: SVM_TLB_* */
  uint8_t reserved_05d[3];
  uint64_t vintr;               /* 0x060: SVM_VINTR_* */
  uint64_t int_state;           /* 0x068: SVM_INT_SHADOW */
  uint64_t exitcode;            /* 0x070: SVM_EXIT_* */
  uint64_t exitinfo1;           /* 0x078 */
  uint64_t exitinfo2;           /* 0x080 */
  uint64_t exitintinfo;         /* 0x088: same layout as eventinj */
  uint64_t np_control;          /* 0x090: bit 0 NP_ENABLE */
  uint64_t avic_apic_bar;       /* 0x098 */
  uint64_t ghcb_pa;             /* 0x0A0 */
  uint64_t eventinj;            /* 0x0A8: SVM_EVTINJ_* */
  uint64_t n_cr3;               /* 0x0B0: nested page table root */
  uint64_t lbr_virt;            /* 0x0B8 */
  uint32_t clean_bits;          /* 0x0C0: 0 = reload everything (D0 never relies on caching) */
  uint32_t reserved_0c4;
  uint64_t next_rip;            /* 0x0C8: only with NRIP save; D0 does not use it */
  uint8_t insn_len;             /* 0x0D0: decode assists only */
  uint8_t insn_bytes[15];       /* 0x0D1 */
  uint8_t reserved_0e0[0x400 - 0x0E0];
};

struct vmcb_save {
  struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400..0x49F */
  uint8_t reserved_4a0[0x4CB - 0x4A0];
  uint8_t cpl;                  /* 0x4CB */
  uint32_t reserved_4cc;
  uint64_t efer;                /* 0x4D0 */
  uint8_t reserved_4d8[0x548 - 0x4D8];
  uint64_t cr4;                 /* 0x548 */
  uint64_t cr3;                 /* 0x550 */
  uint64_t cr0;                 /* 0x558 */
  uint64_t dr7;                 /* 0x560 */
  uint64_t dr6;                 /* 0x568 */
  uint64_t rflags;              /* 0x570 */
  uint64_t rip;                 /* 0x578 */
  uint8_t reserved_580[0x5D8 - 0x580];
  uint64_t rsp;                 /* 0x5D8 */
  uint64_t s_cet, ssp, isst_addr; /* 0x5E0 */
  uint64_t rax;                 /* 0x5F8 */
  uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600..0x620 */
  uint64_t sysenter_cs, sysenter_esp, sysenter_eip;   /* 0x628..0x638 */
  uint64_t cr2;                 /* 0x640 */
  uint8_t reserved_648[0x668 - 0x648];
  uint64_t g_pat;               /* 0x668 */
  uint64_t dbgctl;              /* 0x670 */
  uint8_t reserved_678[0x1000 - 0x678];
};

struct vmcb {
  struct vmcb_control ctl;
  struct vmcb_save save;
};

#define VMCB_OFF(f) offsetof(struct vmcb, f)
_Static_assert(VMCB_OFF(ctl.exceptions) == 0x008, "exceptions");
_Static_assert(VMCB_OFF(ctl.intercept_misc1) == 0x00C, "misc1");
_Static_assert(VMCB_OFF(ctl.intercept_misc2) == 0x010, "misc2");
_Static_assert(VMCB_OFF(ctl.iopm_base_pa) == 0x040, "iopm");
_Static_assert(VMCB_OFF(ctl.msrpm_base_pa) == 0x048, "msrpm");
_Static_assert(VMCB_OFF(ctl.guest_asid) == 0x058, "asid");
_Static_assert(VMCB_OFF(ctl.tlb_control) == 0x05C, "tlb");
_Static_assert(VMCB_OFF(ctl.vintr) == 0x060, "vintr");
_Static_assert(VMCB_OFF(ctl.int_state) == 0x068, "int_state");
_Static_assert(VMCB_OFF(ctl.exitcode) == 0x070, "exitcode");
_Static_assert(VMCB_OFF(ctl.exitinfo1) == 0x078, "exitinfo1");
_Static_assert(VMCB_OFF(ctl.exitinfo2) == 0x080, "exitinfo2");
_Static_assert(VMCB_OFF(ctl.exitintinfo) == 0x088, "exitintinfo");
_Static_assert(VMCB_OFF(ctl.np_control) == 0x090, "np");
_Static_assert(VMCB_OFF(ctl.eventinj) == 0x0A8, "eventinj");
_Static_assert(VMCB_OFF(ctl.n_cr3) == 0x0B0, "n_cr3");
_Static_assert(VMCB_OFF(ctl.clean_bits) == 0x0C0, "clean");
_Static_assert(VMCB_OFF(ctl.next_rip) == 0x0C8, "nrip");
_Static_assert(VMCB_OFF(save.es) == 0x400, "es");
_Static_assert(VMCB_OFF(save.gdtr) == 0x460, "gdtr");
_Static_assert(VMCB_OFF(save.tr) == 0x490, "tr");
_Static_assert(VMCB_OFF(save.cpl) == 0x4CB, "cpl");
_Static_assert(VMCB_OFF(save.efer) == 0x4D0, "efer");
_Static_assert(VMCB_OFF(save.cr4) == 0x548, "cr4");
_Static_assert(VMCB_OFF(save.rflags) == 0x570, "rflags");
_Static_assert(VMCB_OFF(save.rip) == 0x578, "rip");
_Static_assert(VMCB_OFF(save.rsp) == 0x5D8, "rsp");
_Static_assert(VMCB_OFF(save.rax) == 0x5F8, "rax");
_Static_assert(VMCB_OFF(save.star) == 0x600, "star");
_Static_assert(VMCB_OFF(save.kernel_gs_base) == 0x620, "kgsbase");
_Static_assert(VMCB_OFF(save.sysenter_eip) == 0x638, "sysenter_eip");
_Static_assert(VMCB_OFF(save.cr2) == 0x640, "cr2");
_Static_assert(VMCB_OFF(save.g_pat) == 0x668, "g_pat");
_Static_assert(sizeof(struct vmcb) == 0x1000, "vmcb size");

/* B-1 intercept vector 3 (offset 0x00C). */
#define SVM_I1_INTR (1u << 0)
#define SVM_I1_NMI (1u << 1)
#define SVM_I1_VINTR (1u << 4)
#define SVM_I1_CPUID (1u << 18)
#define SVM_I1_PAUSE (1u << 23)
#define SVM_I1_HLT (1u << 24)
#define SVM_I1_INVLPGA (1u << 26)
#define SVM_I1_IOIO (1u << 27)
#define SVM_I1_MSR (1u << 28)
#define SVM_I1_SHUTDOWN (1u << 31)
/* B-1 intercept vector 4 (offset 0x010). VMRUN must be intercepted (15.5.1: VMRUN with it
 * clear fails the consistency checks). */
#define SVM_I2_VMRUN (1u << 0)
#define SVM_I2_VMMCALL (1u << 1)
#define SVM_I2_VMLOAD (1u << 2)
#define SVM_I2_VMSAVE (1u << 3)
#define SVM_I2_STGI (1u << 4)
#define SVM_I2_CLGI (1u << 5)
#define SVM_I2_SKINIT (1u << 6)
#define SVM_I2_MONITOR (1u << 10) /* MONITOR and MONITORX */
#define SVM_I2_MWAIT (1u << 11)   /* MWAIT and MWAITX */
#define SVM_I2_MWAIT_COND (1u << 12)

/* 15.16.2 TLB_CONTROL */
#define SVM_TLB_NONE 0
#define SVM_TLB_FLUSH_ALL 1

/* 15.21.1 virtual interrupt control (offset 0x060) */
#define SVM_VINTR_V_IRQ (1ull << 8)
#define SVM_VINTR_PRIO_SHIFT 16
#define SVM_VINTR_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)
/* offset 0x068 */
#define SVM_INT_SHADOW (1ull << 0)

/* 15.20 event injection (EVENTINJ and EXITINTINFO) */
#define SVM_EVTINJ_VEC_MASK 0xffull
#define SVM_EVTINJ_TYPE_INTR (0ull << 8)
#define SVM_EVTINJ_TYPE_EXCEPTION (3ull << 8)
#define SVM_EVTINJ_EV (1ull << 11) /* push the error code in bits 63:32 */
#define SVM_EVTINJ_VALID (1ull << 31)

/* Appendix C: exit codes D0 handles. */
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_VINTR 0x064
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_PAUSE 0x077
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07A
#define SVM_EXIT_IOIO 0x07B
#define SVM_EXIT_MSR 0x07C
#define SVM_EXIT_SHUTDOWN 0x07F
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_MONITOR 0x08A
#define SVM_EXIT_MWAIT 0x08B
#define SVM_EXIT_MWAIT_COND 0x08C
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffffffffffull /* VMEXIT_INVALID: the entry checks failed */
#define SVM_EXIT_TABLE_SIZE (SVM_EXIT_MWAIT_COND + 1) /* dense table; NPF and INVALID handled apart */

/* 15.10.2 IOIO EXITINFO1 */
#define SVM_IOIO_IN (1ull << 0)
#define SVM_IOIO_STR (1ull << 2)
#define SVM_IOIO_REP (1ull << 3)
#define SVM_IOIO_SZ8 (1ull << 4)
#define SVM_IOIO_SZ16 (1ull << 5)
#define SVM_IOIO_SZ32 (1ull << 6)
#define SVM_IOIO_PORT_SHIFT 16

/* 15.10.1 I/O permission map: 12 KiB (one bit per port, plus the bits for accesses that wrap).
 * 15.11 MSR permission map: 8 KiB, two bits per MSR (read, write) in three 8K-MSR ranges. */
#define SVM_IOPM_PAGES 3
#define SVM_MSRPM_PAGES 2

/* 15.25.6 #NPF EXITINFO1 (a page-fault error code) */
#define SVM_NPF_PRESENT (1ull << 0)
#define SVM_NPF_WRITE (1ull << 1)
#define SVM_NPF_FETCH (1ull << 4)       /* an instruction fetch */
#define SVM_NPF_FINAL_GPA (1ull << 32)  /* the fault is on the final guest-physical address */
#define SVM_NPF_PAGE_WALK (1ull << 33)  /* the fault is on a guest page-table read */

#endif /* D0_ARCH_X86_SVM_VMCB_H */
