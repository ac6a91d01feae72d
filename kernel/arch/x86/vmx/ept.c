#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmx.h"

#include "arch/x86/nested_pt.h"
#include "arch/x86/pages.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "hv/err.h"

#define EPT_TABLE (EPT_R | EPT_W | EPT_X)

static const struct nested_pt_bits ept_bits = {EPT_TABLE, EPT_TABLE, EPT_LARGE, EPT_ADDR};

static uint64_t leaf_bits(uint32_t prot)
{
  uint64_t b = (uint64_t)MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
  if (prot & ARCH_PROT_READ)
    b |= EPT_R;
  if (prot & ARCH_PROT_WRITE)
    b |= EPT_W | EPT_R; /* write without read is an EPT misconfiguration (29.3.3.1) */
  if (prot & ARCH_PROT_EXEC)
    b |= EPT_X;
  return b;
}

int vmx_vm_init(struct vmx_vm *avm)
{
  avm->ept_root = x86_pages_alloc(1);
  if (avm->ept_root == NULL)
    return HV_E_FULL;
  avm->eptp = (uint64_t)(uintptr_t)avm->ept_root | EPTP_WALK4 | EPTP_WB;
  avm->ept_changed = true;
  return HV_OK;
}

void vmx_vm_destroy(struct vmx_vm *avm) { avm->ept_root = NULL; }

int vmx_map_page(struct vmx_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot)
{
  uint64_t h = hpa_addr(hpa);
  if ((h & ~EPT_ADDR) != 0 || (prot & ARCH_PROT_RWX) == 0)
    return HV_E_INVAL;
  int err = nested_pt_map(avm->ept_root, &ept_bits, gpa_addr(gpa), h, page_size,
                          leaf_bits(prot));
  if (err == HV_OK)
    avm->ept_changed = true;
  return err;
}

bool ept_translate(const struct vmx_vm *avm, uint64_t gpa, uint64_t *hpa)
{
  return nested_pt_translate(avm->ept_root, &ept_bits, gpa, hpa);
}

bool ept_read(const void *avm, uint64_t gpa, void *dst, uint64_t len)
{
  return nested_pt_read(((const struct vmx_vm *)avm)->ept_root, &ept_bits, gpa, dst, len);
}

bool ept_flush(struct vmx_vm *avm, uint64_t ept_caps)
{
  if (!avm->ept_changed)
    return true;
  avm->ept_changed = false;
  if (ept_caps & EPT_CAP_INVEPT_SINGLE)
    return vmx_invept(INVEPT_SINGLE, avm->eptp);
  return vmx_invept(INVEPT_ALL, 0);
}
