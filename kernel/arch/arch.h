/*
 * The one interface between D0's generic hypervisor code (kernel/hv, kernel/dev) and a CPU
 * virtualization backend. Implementations:
 *
 *   arch/x86       the UEFI build: both backends in one BOOTX64.EFI, every call routed by
 *                  arch/x86/dispatch.c to the one x86_virt_probe() chose at boot from CPUID
 *                  (kernel/arch/x86/README.md):
 *     arch/x86/svm   AMD SVM + NPT
 *     arch/x86/vmx   Intel VMX + EPT
 *   arch/fake      host unit tests: replays a scripted list of exits against a RAM buffer
 *
 * An implementation provides "arch_types.h" (found through the include path of its build)
 * defining struct arch_vm and struct arch_vcpu (for x86: a union of the backends' parts), and
 * implements every function below. Generic code never looks inside those structs (beyond
 * arch_vcpu.exits) and never tests which backend it runs on.
 *
 * Exits reach generic code as one uniform record (struct arch_exit). The backend has already
 * decoded what the generic code needs: port/size/direction/value of an IN/OUT, the GPA and the
 * size/direction/value of an MMIO access (instruction decoding is the backend's job, since only
 * it can read guest instruction bytes through the guest's paging), the MSR index, the CPUID leaf.
 * Generic code answers through arch_vcpu_complete(), which writes a read result into the
 * destination register and moves RIP past the instruction.
 */
#ifndef D0_ARCH_H
#define D0_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/boot_regs.h" /* the initial register state of the 64-bit entry */
#include "arch_types.h"
#include "d0/addr.h"

/* Exit reasons. The dispatch table in kernel/hv/exit.c is indexed by these; keep them dense. */
enum arch_exit_reason {
  ARCH_EXIT_NONE = 0,   /* nothing to do (e.g. the backend handled it itself); run again */
  ARCH_EXIT_IO,         /* IN/OUT: port, size, dir, value (for OUT) */
  ARCH_EXIT_MMIO,       /* nested page fault on an unmapped GPA: gpa, size, dir, value */
  ARCH_EXIT_CPUID,      /* leaf in value[31:0], subleaf in value[63:32] */
  ARCH_EXIT_MSR,        /* msr index; dir; value (for WRMSR) */
  ARCH_EXIT_HLT,        /* the vCPU halted: wait for an interrupt */
  ARCH_EXIT_SHUTDOWN,   /* triple fault / shutdown: the guest is gone */
  ARCH_EXIT_INTR,       /* a host interrupt or timer preempted the guest */
  ARCH_EXIT_ENTRY_FAIL, /* the CPU refused to enter the guest (invalid state) */
  ARCH_EXIT_BAD_ACCESS, /* a fault the backend cannot emulate: fault says which, gpa (if any),
                           value = the backend's detail (EXITINFO1 / exit qualification) */
  ARCH_EXIT_REASON_COUNT
};

/*
 * What an ARCH_EXIT_BAD_ACCESS was. The core names each with its own error (kernel/hv/exit.c),
 * so a log says what the guest did, not only where.
 */
enum arch_fault {
  ARCH_FAULT_OUTSIDE = 0,   /* unspecified: an access D0 does not emulate at gpa */
  ARCH_FAULT_UNDECODED,     /* a data access at an unmapped gpa by an instruction D0 could not
                               fetch or does not decode (decode.h) */
  ARCH_FAULT_PAGE_WALK,     /* the guest's own page-table walk read an unmapped gpa: its paging
                               structures are not in its RAM. Never an MMIO access: SVM #NPF
                               EXITINFO1 bit 33, VMX EPT-violation qualification bit 8 clear */
  ARCH_FAULT_FETCH,         /* an instruction fetch from an unmapped gpa */
  ARCH_FAULT_STRING_IO,     /* INS/OUTS (no D0 device needs string I/O) */
  ARCH_FAULT_NESTED_TABLE,  /* D0's own nested/extended table is malformed (EPT misconfig) */
  ARCH_FAULT_EXIT,          /* an exit D0 never enabled or does not emulate; value = reason */
};

enum arch_dir { ARCH_DIR_READ = 0, ARCH_DIR_WRITE = 1 };

struct arch_exit {
  uint32_t reason;   /* enum arch_exit_reason; untrusted range: dispatch bounds-checks it */
  uint8_t size;      /* access size in bytes: 1, 2, 4 or 8 */
  uint8_t dir;       /* enum arch_dir */
  uint8_t fault;     /* ARCH_EXIT_BAD_ACCESS: enum arch_fault */
  uint16_t port;     /* ARCH_EXIT_IO */
  uint32_t msr;      /* ARCH_EXIT_MSR */
  uint64_t value;    /* written value (IO/MMIO/MSR write), CPUID leaf/subleaf */
  gpa_t gpa;         /* ARCH_EXIT_MMIO */
  uint64_t rip;      /* guest RIP at the exit, for logs */
  uint64_t rflags;   /* guest RFLAGS at the exit, for logs (ev=vcpu_state) */
};

/* Results the generic code hands back for CPUID. */
struct arch_cpuid_result {
  uint32_t eax, ebx, ecx, edx;
};

/* Page protections for arch_npt_map_page. */
#define ARCH_PROT_READ 0x1u
#define ARCH_PROT_WRITE 0x2u
#define ARCH_PROT_EXEC 0x4u
#define ARCH_PROT_RWX (ARCH_PROT_READ | ARCH_PROT_WRITE | ARCH_PROT_EXEC)

#define ARCH_PAGE_4K 0x1000ull
#define ARCH_PAGE_2M 0x200000ull

/* ---- VM and nested paging ---------------------------------------------------------------- */

/* Prepares an empty nested address space (no GPA mapped). 0 or a negative hv_err. */
int arch_vm_init(struct arch_vm *avm);
void arch_vm_destroy(struct arch_vm *avm);

/*
 * Maps one page GPA -> HPA in the VM's nested page tables. page_size is ARCH_PAGE_4K or
 * ARCH_PAGE_2M; gpa and hpa are aligned to it (generic code guarantees that: see
 * guest_mem_map()). Unmapped GPAs produce ARCH_EXIT_MMIO.
 */
int arch_npt_map_page(struct arch_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot);

/* The host-physical address behind a host-virtual one (identity under UEFI). */
hpa_t arch_hva_to_hpa(hva_t hva);

/* ---- vCPU ------------------------------------------------------------------------------- */

/* Creates vCPU `index` of avm with the given initial state. */
int arch_vcpu_init(struct arch_vcpu *vcpu, struct arch_vm *avm, uint32_t index,
                   const struct boot_regs *regs);
void arch_vcpu_destroy(struct arch_vcpu *vcpu);

/*
 * Runs the guest until the next exit the generic code must see, and fills *exit.
 * Returns 0, or HV_E_ARCH when the backend itself failed (the VM is then stopped).
 */
int arch_vcpu_run(struct arch_vcpu *vcpu, struct arch_exit *exit);

/*
 * Completes the instruction that caused `exit`: for a read (IN, MMIO load, RDMSR) writes
 * `read_value` (size bytes, zero-extended as the instruction defines) to the destination
 * register(s); then advances RIP past the instruction. For CPUID use arch_vcpu_complete_cpuid.
 */
void arch_vcpu_complete(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                        uint64_t read_value);
void arch_vcpu_complete_cpuid(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                              const struct arch_cpuid_result *res);

/* The host CPU's CPUID, which generic code filters before showing it to a guest. */
void arch_host_cpuid(uint32_t leaf, uint32_t subleaf, struct arch_cpuid_result *out);

/* ---- interrupts and time ------------------------------------------------------------------ */

/*
 * Sets the level of guest interrupt line `gsi` for a VM that has no platform devices (host
 * tests only: the fake backend records it). VMs with a platform route device lines through
 * platform_irq_set_level (kernel/dev/platform); the SVM backend ignores this call.
 */
void arch_irq_set_level(struct arch_vm *avm, uint32_t gsi, bool level);

/*
 * Interrupt injection, driven by vm_run before every entry (kernel/dev/platform/platform.h):
 * can_inject: the guest can take an external interrupt at the next entry (RFLAGS.IF, no
 * interrupt shadow, no event already queued); inject: deliver `vector` at the next entry;
 * request_window: exit (ARCH_EXIT_INTR) as soon as the guest can take one.
 */
bool arch_vcpu_can_inject(const struct arch_vcpu *vcpu);
void arch_vcpu_inject(struct arch_vcpu *vcpu, uint8_t vector);
void arch_vcpu_request_window(struct arch_vcpu *vcpu);

/* Monotonic nanoseconds since an arbitrary origin. */
uint64_t arch_time_ns(void);

#endif /* D0_ARCH_H */
