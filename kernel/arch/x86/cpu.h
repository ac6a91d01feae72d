/*
 * Which hardware virtualization this CPU offers D0, decided once at boot from CPUID.
 *
 * This is the one vendor selection point: boot/efi asks x86_virt_probe() and launches nothing
 * unless a backend this binary contains is usable. Today the binary links the SVM backend
 * (arch/x86/svm); when the VMX backend lands, both are linked and the arch_* entry points become
 * a dispatch on x86_virt_backend(), filled here (one BOOTX64.EFI for both vendors).
 */
#ifndef D0_ARCH_X86_CPU_H
#define D0_ARCH_X86_CPU_H

#include <stdbool.h>

enum x86_vendor { X86_VENDOR_OTHER, X86_VENDOR_AMD, X86_VENDOR_INTEL };
enum x86_backend { X86_BACKEND_NONE, X86_BACKEND_SVM };

struct x86_virt_probe {
  enum x86_vendor vendor;
  enum x86_backend backend;
  bool nrip_save;      /* informational: D0 advances RIP itself either way */
  const char *reason;  /* why backend is NONE (stable, log-safe word), else NULL */
};

/* Fills *out; returns true when out->backend is usable. Touches no MSR that could fault. */
bool x86_virt_probe(struct x86_virt_probe *out);

const char *x86_vendor_name(enum x86_vendor v);
/* "svm", "vmx" or "none": the word ev=cpu logs as backend=. */
const char *x86_backend_name(enum x86_backend b);

#endif /* D0_ARCH_X86_CPU_H */
