#include "arch/x86/cpu.h"

#include <stddef.h>

#include "arch/x86/svm/svm_cpu.h"
#include "arch/x86/vmx/vmx_cpu.h"
#include "arch/x86/x86.h"

/* CPUID.0 vendor strings in EBX, EDX, ECX order. */
#define VENDOR_AMD_EBX 0x68747541u   /* "Auth" */
#define VENDOR_INTEL_EBX 0x756e6547u /* "Genu" */

static enum x86_vendor vendor(void)
{
  struct x86_cpuid r;
  x86_cpuid(0, 0, &r);
  if (r.ebx == VENDOR_AMD_EBX && r.edx == 0x69746e65u && r.ecx == 0x444d4163u)
    return X86_VENDOR_AMD;
  if (r.ebx == VENDOR_INTEL_EBX && r.edx == 0x49656e69u && r.ecx == 0x6c65746eu)
    return X86_VENDOR_INTEL;
  return X86_VENDOR_OTHER;
}

/* x86_vcpus_max(): what the probe found (1 until it ran). */
static uint32_t vcpus_max = 1;

uint32_t x86_vcpus_max(void) { return vcpus_max; }

bool x86_virt_probe(struct x86_virt_probe *out)
{
  vcpus_max = 1;
  out->vendor = vendor();
  out->backend = X86_BACKEND_NONE;
  out->nrip_save = false;
  out->reason = NULL;
  switch (out->vendor) {
  case X86_VENDOR_AMD:
    out->reason = svm_check_features(&out->nrip_save);
    if (out->reason == NULL)
      out->backend = X86_BACKEND_SVM;
    vcpus_max = X86_VCPUS_MAX;
    break;
  case X86_VENDOR_INTEL: {
    struct vmx_caps caps; /* vmx_host_init reads them again when the first vCPU starts */
    out->reason = vmx_check_features(&caps);
    if (out->reason == NULL)
      out->backend = X86_BACKEND_VMX;
    vcpus_max = vmx_unrestricted_guest(&caps) ? X86_VCPUS_MAX : 1;
    break;
  }
  default:
    out->reason = "unknown_cpu_vendor";
    break;
  }
  x86_dispatch_select(out->backend);
  return out->backend != X86_BACKEND_NONE;
}

const char *x86_vendor_name(enum x86_vendor v)
{
  switch (v) {
  case X86_VENDOR_AMD: return "amd";
  case X86_VENDOR_INTEL: return "intel";
  default: return "other";
  }
}

const char *x86_backend_name(enum x86_backend b)
{
  switch (b) {
  case X86_BACKEND_SVM: return "svm";
  case X86_BACKEND_VMX: return "vmx";
  default: return "none";
  }
}
