/*
 * Which hardware virtualization this CPU offers D0, decided once at boot from CPUID.
 *
 * This is the one vendor selection point: boot/efi asks x86_virt_probe() and launches nothing
 * unless a usable backend was found. Both backends are linked into the one BOOTX64.EFI (AMD:
 * arch/x86/svm, Intel: arch/x86/vmx); the probe hands its choice to arch/x86/dispatch.c, which
 * routes every arch_* call to that backend from then on.
 */
#ifndef D0_ARCH_X86_CPU_H
#define D0_ARCH_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

enum x86_vendor { X86_VENDOR_OTHER, X86_VENDOR_AMD, X86_VENDOR_INTEL };
enum x86_backend { X86_BACKEND_NONE, X86_BACKEND_SVM, X86_BACKEND_VMX };

struct x86_virt_probe {
  enum x86_vendor vendor;
  enum x86_backend backend;
  bool nrip_save;      /* informational: D0 advances RIP itself either way */
  const char *reason;  /* why backend is NONE (stable, log-safe word), else NULL */
};

/*
 * Fills *out; returns true when out->backend is usable, and selects it for the arch_* dispatch
 * (x86_dispatch_select). Touches no MSR that could fault: the VMX capability MSRs are read only
 * once CPUID reports VMX, each secondary one only once its primary says it exists.
 */
bool x86_virt_probe(struct x86_virt_probe *out);

/* Routes arch_* calls to backend b (dispatch.c). Until a backend is selected, and for NONE,
 * every arch_* call that can fail returns HV_E_ARCH and the others do nothing. */
void x86_dispatch_select(enum x86_backend b);

/* vCPUs one VM can have on the CPU x86_virt_probe found: an AP starts in real mode (hv/sipi.h),
 * which SVM runs as it is and VMX only with "unrestricted guest": X86_VCPUS_MAX under SVM and
 * under VMX with it, 1 under VMX without it and before the probe. boot/efi/plan.c refuses a
 * build that asks for more. */
#define X86_VCPUS_MAX 16u
uint32_t x86_vcpus_max(void);

const char *x86_vendor_name(enum x86_vendor v);
/* "svm", "vmx" or "none": the word ev=cpu logs as backend=. */
const char *x86_backend_name(enum x86_backend b);

#endif /* D0_ARCH_X86_CPU_H */
