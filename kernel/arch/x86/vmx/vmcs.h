/*
 * VMX architectural constants, by name: VMCS field encodings (Intel SDM vol. 3C, appendix B
 * "Field Encoding in VMCS"), VM-execution/exit/entry control bits (25.6-25.8), basic exit
 * reasons (appendix C), exit qualifications (28.2.1), the VMX capability MSRs (appendix A) and
 * EPT entry bits (29.3.2). Nothing else in the backend spells a raw encoding.
 */
#ifndef D0_ARCH_X86_VMX_VMCS_H
#define D0_ARCH_X86_VMX_VMCS_H

/* ---- B.1 16-bit fields ---------------------------------------------------------------------- */
#define VMCS_VPID 0x0000u
#define VMCS_GUEST_ES_SEL 0x0800u
#define VMCS_GUEST_CS_SEL 0x0802u
#define VMCS_GUEST_SS_SEL 0x0804u
#define VMCS_GUEST_DS_SEL 0x0806u
#define VMCS_GUEST_FS_SEL 0x0808u
#define VMCS_GUEST_GS_SEL 0x080Au
#define VMCS_GUEST_LDTR_SEL 0x080Cu
#define VMCS_GUEST_TR_SEL 0x080Eu
#define VMCS_HOST_ES_SEL 0x0C00u
#define VMCS_HOST_CS_SEL 0x0C02u
#define VMCS_HOST_SS_SEL 0x0C04u
#define VMCS_HOST_DS_SEL 0x0C06u
#define VMCS_HOST_FS_SEL 0x0C08u
#define VMCS_HOST_GS_SEL 0x0C0Au
#define VMCS_HOST_TR_SEL 0x0C0Cu

/* ---- B.2 64-bit fields ---------------------------------------------------------------------- */
#define VMCS_IO_BITMAP_A 0x2000u
#define VMCS_IO_BITMAP_B 0x2002u
#define VMCS_MSR_BITMAP 0x2004u
#define VMCS_EPT_POINTER 0x201Au
#define VMCS_XSS_EXIT_BITMAP 0x202Cu
#define VMCS_GUEST_PHYS_ADDR 0x2400u /* read-only */
#define VMCS_LINK_POINTER 0x2800u
#define VMCS_GUEST_DEBUGCTL 0x2802u
#define VMCS_GUEST_PAT 0x2804u
#define VMCS_GUEST_EFER 0x2806u
#define VMCS_HOST_PAT 0x2C00u
#define VMCS_HOST_EFER 0x2C02u

/* ---- B.3 32-bit fields ---------------------------------------------------------------------- */
#define VMCS_PIN_CTLS 0x4000u
#define VMCS_PROC_CTLS 0x4002u
#define VMCS_EXCEPTION_BITMAP 0x4004u
#define VMCS_CR3_TARGET_COUNT 0x400Au
#define VMCS_EXIT_CTLS 0x400Cu
#define VMCS_EXIT_MSR_STORE_COUNT 0x400Eu
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010u
#define VMCS_ENTRY_CTLS 0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014u
#define VMCS_ENTRY_INTR_INFO 0x4016u
#define VMCS_ENTRY_EXC_ERROR 0x4018u
#define VMCS_ENTRY_INSN_LEN 0x401Au
#define VMCS_PROC_CTLS2 0x401Eu
#define VMCS_INSN_ERROR 0x4400u /* read-only */
#define VMCS_EXIT_REASON 0x4402u
#define VMCS_EXIT_INTR_INFO 0x4404u
#define VMCS_EXIT_INTR_ERROR 0x4406u
#define VMCS_IDT_VECTORING_INFO 0x4408u
#define VMCS_IDT_VECTORING_ERROR 0x440Au
#define VMCS_EXIT_INSN_LEN 0x440Cu
#define VMCS_GUEST_ES_LIMIT 0x4800u
#define VMCS_GUEST_CS_LIMIT 0x4802u
#define VMCS_GUEST_SS_LIMIT 0x4804u
#define VMCS_GUEST_DS_LIMIT 0x4806u
#define VMCS_GUEST_FS_LIMIT 0x4808u
#define VMCS_GUEST_GS_LIMIT 0x480Au
#define VMCS_GUEST_LDTR_LIMIT 0x480Cu
#define VMCS_GUEST_TR_LIMIT 0x480Eu
#define VMCS_GUEST_GDTR_LIMIT 0x4810u
#define VMCS_GUEST_IDTR_LIMIT 0x4812u
#define VMCS_GUEST_ES_AR 0x4814u
#define VMCS_GUEST_CS_AR 0x4816u
#define VMCS_GUEST_SS_AR 0x4818u
#define VMCS_GUEST_DS_AR 0x481Au
#define VMCS_GUEST_FS_AR 0x481Cu
#define VMCS_GUEST_GS_AR 0x481Eu
#define VMCS_GUEST_LDTR_AR 0x4820u
#define VMCS_GUEST_TR_AR 0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824u
#define VMCS_GUEST_ACTIVITY 0x4826u
#define VMCS_GUEST_SYSENTER_CS 0x482Au
#define VMCS_PREEMPTION_TIMER 0x482Eu
#define VMCS_HOST_SYSENTER_CS 0x4C00u

/* ---- B.4 natural-width fields ---------------------------------------------------------------- */
#define VMCS_CR0_MASK 0x6000u
#define VMCS_CR4_MASK 0x6002u
#define VMCS_CR0_SHADOW 0x6004u
#define VMCS_CR4_SHADOW 0x6006u
#define VMCS_EXIT_QUALIFICATION 0x6400u
#define VMCS_GUEST_LINEAR_ADDR 0x640Au
#define VMCS_GUEST_CR0 0x6800u
#define VMCS_GUEST_CR3 0x6802u
#define VMCS_GUEST_CR4 0x6804u
#define VMCS_GUEST_ES_BASE 0x6806u
#define VMCS_GUEST_CS_BASE 0x6808u
#define VMCS_GUEST_SS_BASE 0x680Au
#define VMCS_GUEST_DS_BASE 0x680Cu
#define VMCS_GUEST_FS_BASE 0x680Eu
#define VMCS_GUEST_GS_BASE 0x6810u
#define VMCS_GUEST_LDTR_BASE 0x6812u
#define VMCS_GUEST_TR_BASE 0x6814u
#define VMCS_GUEST_GDTR_BASE 0x6816u
#define VMCS_GUEST_IDTR_BASE 0x6818u
#define VMCS_GUEST_DR7 0x681Au
#define VMCS_GUEST_RSP 0x681Cu
#define VMCS_GUEST_RIP 0x681Eu
#define VMCS_GUEST_RFLAGS 0x6820u
#define VMCS_GUEST_PENDING_DBG 0x6822u
#define VMCS_GUEST_SYSENTER_ESP 0x6824u
#define VMCS_GUEST_SYSENTER_EIP 0x6826u
#define VMCS_HOST_CR0 0x6C00u
#define VMCS_HOST_CR3 0x6C02u
#define VMCS_HOST_CR4 0x6C04u
#define VMCS_HOST_FS_BASE 0x6C06u
#define VMCS_HOST_GS_BASE 0x6C08u
#define VMCS_HOST_TR_BASE 0x6C0Au
#define VMCS_HOST_GDTR_BASE 0x6C0Cu
#define VMCS_HOST_IDTR_BASE 0x6C0Eu
#define VMCS_HOST_SYSENTER_ESP 0x6C10u
#define VMCS_HOST_SYSENTER_EIP 0x6C12u
#define VMCS_HOST_RSP 0x6C14u
#define VMCS_HOST_RIP 0x6C16u

/* ---- 25.6.1 pin-based controls ---------------------------------------------------------------- */
#define PIN_EXT_INT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_PREEMPTION_TIMER (1u << 6)

/* ---- 25.6.2 primary processor-based controls ------------------------------------------------- */
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_SECONDARY (1u << 31)

/* Secondary processor-based controls (25.6.2, table 25-7). */
#define PROC2_EPT (1u << 1)
#define PROC2_RDTSCP (1u << 3)
#define PROC2_UNRESTRICTED (1u << 7)
#define PROC2_INVPCID (1u << 12)
#define PROC2_XSAVES (1u << 20)

/* ---- 25.7.1 exit controls, 25.8.1 entry controls -------------------------------------------- */
#define EXIT_HOST_64 (1u << 9)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* ---- 25.8.3 VM-entry interruption information (also the exit/IDT-vectoring info layout) ---- */
#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_TYPE_EXT_INT (0u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_INFO_DELIVER_ERROR (1u << 11)
#define INTR_INFO_VALID (1u << 31)

/* 25.4.2 guest interruptibility state. */
#define INTERRUPTIBILITY_STI (1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)

/* ---- appendix C: basic exit reasons (exit reason bits 15:0) ----------------------------------- */
#define EXIT_EXCEPTION_NMI 0u
#define EXIT_EXTERNAL_INT 1u
#define EXIT_TRIPLE_FAULT 2u
#define EXIT_INIT 3u
#define EXIT_SIPI 4u
#define EXIT_INTR_WINDOW 7u
#define EXIT_NMI_WINDOW 8u
#define EXIT_TASK_SWITCH 9u
#define EXIT_CPUID 10u
#define EXIT_GETSEC 11u
#define EXIT_HLT 12u
#define EXIT_INVD 13u
#define EXIT_VMCALL 18u
#define EXIT_VMCLEAR 19u
#define EXIT_VMLAUNCH 20u
#define EXIT_VMPTRLD 21u
#define EXIT_VMPTRST 22u
#define EXIT_VMREAD 23u
#define EXIT_VMRESUME 24u
#define EXIT_VMWRITE 25u
#define EXIT_VMXOFF 26u
#define EXIT_VMXON 27u
#define EXIT_CR_ACCESS 28u
#define EXIT_IO 30u
#define EXIT_RDMSR 31u
#define EXIT_WRMSR 32u
#define EXIT_ENTRY_BAD_GUEST 33u
#define EXIT_ENTRY_BAD_MSR 34u
#define EXIT_ENTRY_MACHINE_CHECK 41u
#define EXIT_MWAIT 36u
#define EXIT_MONITOR 39u
#define EXIT_EPT_VIOLATION 48u
#define EXIT_EPT_MISCONFIG 49u
#define EXIT_INVEPT 50u
#define EXIT_PREEMPTION_TIMER 52u
#define EXIT_INVVPID 53u
#define EXIT_XSETBV 55u
/* 28.2.1 table 28-3: CR-access exit qualification. */
#define CRQ_CR_MASK 0xfu
#define CRQ_TYPE_SHIFT 4
#define CRQ_TYPE_MASK 0x3u
#define CRQ_TYPE_MOV_TO 0u
#define CRQ_TYPE_CLTS 2u
#define CRQ_TYPE_LMSW 3u
#define CRQ_REG_SHIFT 8
#define CRQ_LMSW_SHIFT 16
/* 28.2.1 table 28-7: EPT-violation exit qualification. */
#define EPTQ_FETCH (1ull << 2)
#define EPTQ_LINEAR_VALID (1ull << 7)
#define EPTQ_FINAL_ACCESS (1ull << 8) /* 1: the access itself, 0: a guest paging-structure read */
#define EXIT_REASON_COUNT 70u /* table size: every basic reason the SDM defines is below this */
#define EXIT_REASON_BASIC_MASK 0xffffu
#define EXIT_REASON_ENTRY_FAIL (1u << 31)

/* 28.2.1 table 28-5: I/O instruction exit qualification. */
#define IOQ_SIZE_MASK 0x7u /* size - 1 */
#define IOQ_IN (1u << 3)
#define IOQ_STRING (1u << 4)
#define IOQ_REP (1u << 5)
#define IOQ_PORT_SHIFT 16

/* ---- appendix A: VMX capability MSRs --------------------------------------------------------- */
#define MSR_FEATURE_CONTROL 0x03Au
#define MSR_VMX_BASIC 0x480u
#define MSR_VMX_PINBASED 0x481u
#define MSR_VMX_PROCBASED 0x482u
#define MSR_VMX_EXIT 0x483u
#define MSR_VMX_ENTRY 0x484u
#define MSR_VMX_MISC 0x485u
#define MSR_VMX_CR0_FIXED0 0x486u
#define MSR_VMX_CR0_FIXED1 0x487u
#define MSR_VMX_CR4_FIXED0 0x488u
#define MSR_VMX_CR4_FIXED1 0x489u
#define MSR_VMX_PROCBASED2 0x48Bu
#define MSR_VMX_EPT_VPID_CAP 0x48Cu
#define MSR_VMX_TRUE_PINBASED 0x48Du
#define MSR_VMX_TRUE_PROCBASED 0x48Eu
#define MSR_VMX_TRUE_EXIT 0x48Fu
#define MSR_VMX_TRUE_ENTRY 0x490u

/* 24.2 / vol. 4 IA32_FEATURE_CONTROL. */
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ull << 2)

/* A.1 IA32_VMX_BASIC. */
#define VMX_BASIC_REVISION_MASK 0x7fffffffull
#define VMX_BASIC_MEMTYPE_SHIFT 50
#define VMX_BASIC_MEMTYPE_MASK 0xfull
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define MEMTYPE_WB 6u

/* A.6 IA32_VMX_MISC bits 4:0: the preemption timer counts down every 2^X TSC ticks. */
#define VMX_MISC_TIMER_RATE_MASK 0x1full

/* A.10 IA32_VMX_EPT_VPID_CAP. */
#define EPT_CAP_WALK4 (1ull << 6)
#define EPT_CAP_WB (1ull << 14)
#define EPT_CAP_2M (1ull << 16)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define EPT_CAP_INVEPT_ALL (1ull << 26)

/* 29.3.2 EPT paging-structure entries; 25.6.11 the EPT pointer. */
#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_MEMTYPE_SHIFT 3
#define EPT_LARGE (1ull << 7)
#define EPT_ADDR 0x000ffffffffff000ull
#define EPTP_WALK4 (3ull << 3) /* page-walk length - 1 */
#define EPTP_WB 6ull

/* 29.4.3.1 INVEPT types. */
#define INVEPT_SINGLE 1ull
#define INVEPT_ALL 2ull

/* CR4.VMXE (SDM vol. 3A 2.5). */
#define CR4_VMXE (1ull << 13)

#endif /* D0_ARCH_X86_VMX_VMCS_H */
