#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmx.h"

#include "arch/x86/pages.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "d0/lib.h"
#include "hv/err.h"

#define EPT_TABLE (EPT_R | EPT_W | EPT_X)

static unsigned idx(uint64_t gpa, int level) { return (gpa >> (12 + 9 * level)) & 511; }

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
  uint64_t g = gpa_addr(gpa), h = hpa_addr(hpa);
  int leaf_level = page_size == ARCH_PAGE_2M ? 1 : 0;
  if ((page_size != ARCH_PAGE_4K && page_size != ARCH_PAGE_2M) || ((g | h) & (page_size - 1)) ||
      (g >> 48) != 0 || (h & ~EPT_ADDR) != 0 || avm->ept_root == NULL ||
      (prot & ARCH_PROT_RWX) == 0)
    return HV_E_INVAL;
  uint64_t *table = avm->ept_root;
  for (int level = 3; level > leaf_level; level--) {
    uint64_t *e = &table[idx(g, level)];
    if (!(*e & EPT_TABLE)) {
      uint64_t *next = x86_pages_alloc(1);
      if (next == NULL)
        return HV_E_FULL;
      *e = (uint64_t)(uintptr_t)next | EPT_TABLE;
    } else if (*e & EPT_LARGE) {
      return HV_E_BUSY; /* already covered by a larger page */
    }
    table = (uint64_t *)(uintptr_t)(*e & EPT_ADDR);
  }
  uint64_t *leaf = &table[idx(g, leaf_level)];
  if (*leaf & EPT_TABLE)
    return HV_E_BUSY;
  *leaf = h | leaf_bits(prot) | (leaf_level == 1 ? EPT_LARGE : 0);
  avm->ept_changed = true;
  return HV_OK;
}

bool ept_translate(const struct vmx_vm *avm, uint64_t gpa, uint64_t *hpa)
{
  if ((gpa >> 48) != 0 || avm->ept_root == NULL)
    return false;
  const uint64_t *table = avm->ept_root;
  for (int level = 3; level >= 0; level--) {
    uint64_t e = table[idx(gpa, level)];
    if (!(e & EPT_TABLE))
      return false;
    if (level == 0 || (level <= 2 && (e & EPT_LARGE))) {
      uint64_t span = 1ull << (12 + 9 * level);
      *hpa = (e & EPT_ADDR & ~(span - 1)) | (gpa & (span - 1));
      return true;
    }
    table = (const uint64_t *)(uintptr_t)(e & EPT_ADDR);
  }
  return false;
}

bool ept_read(const void *avm, uint64_t gpa, void *dst, uint64_t len)
{
  uint8_t *out = dst;
  while (len > 0) {
    uint64_t hpa, chunk = 4096 - (gpa & 4095);
    if (chunk > len)
      chunk = len;
    if (!ept_translate(avm, gpa, &hpa))
      return false;
    memcpy(out, (const void *)(uintptr_t)hpa, chunk);
    out += chunk;
    gpa += chunk;
    len -= chunk;
  }
  return true;
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
