#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/svm.h"

#include "arch/x86/pages.h"
#include "d0/lib.h"
#include "hv/err.h"

/* Long-mode paging entry bits (APM vol. 2, 5.3.3). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US)

static unsigned idx(uint64_t gpa, int level) { return (gpa >> (12 + 9 * level)) & 511; }

int svm_vm_init(struct svm_vm *avm)
{
  avm->npt_root = x86_pages_alloc(1);
  if (avm->npt_root == NULL)
    return HV_E_FULL;
  avm->asid = 1; /* shared by all VMs: vcpu.c flushes the TLB when another VM runs */
  avm->npt_changed = true;
  return HV_OK;
}

void svm_vm_destroy(struct svm_vm *avm) { avm->npt_root = NULL; }

int svm_map_page(struct svm_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot)
{
  (void)prot; /* RAM is RWX for the guest; device ranges are simply never mapped */
  uint64_t g = gpa_addr(gpa), h = hpa_addr(hpa);
  int leaf_level = page_size == ARCH_PAGE_2M ? 1 : 0;
  if ((page_size != ARCH_PAGE_4K && page_size != ARCH_PAGE_2M) || ((g | h) & (page_size - 1)) ||
      (g >> 48) != 0 || avm->npt_root == NULL)
    return HV_E_INVAL;
  uint64_t *table = avm->npt_root;
  for (int level = 3; level > leaf_level; level--) {
    uint64_t *e = &table[idx(g, level)];
    if (!(*e & PTE_P)) {
      uint64_t *next = x86_pages_alloc(1);
      if (next == NULL)
        return HV_E_FULL;
      *e = (uint64_t)(uintptr_t)next | PTE_TABLE;
    } else if (*e & PTE_PS) {
      return HV_E_BUSY; /* already covered by a larger page */
    }
    table = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
  }
  uint64_t *leaf = &table[idx(g, leaf_level)];
  if (*leaf & PTE_P)
    return HV_E_BUSY;
  *leaf = h | PTE_TABLE | (leaf_level == 1 ? PTE_PS : 0);
  avm->npt_changed = true;
  return HV_OK;
}

bool npt_translate(const struct svm_vm *avm, uint64_t gpa, uint64_t *hpa)
{
  if ((gpa >> 48) != 0 || avm->npt_root == NULL)
    return false;
  const uint64_t *table = avm->npt_root;
  for (int level = 3; level >= 0; level--) {
    uint64_t e = table[idx(gpa, level)];
    if (!(e & PTE_P))
      return false;
    if (level == 0 || (level <= 2 && (e & PTE_PS))) {
      uint64_t span = 1ull << (12 + 9 * level);
      *hpa = (e & PTE_ADDR & ~(span - 1)) | (gpa & (span - 1));
      return true;
    }
    table = (const uint64_t *)(uintptr_t)(e & PTE_ADDR);
  }
  return false;
}

bool npt_read(const struct svm_vm *avm, uint64_t gpa, void *dst, uint64_t len)
{
  uint8_t *out = dst;
  while (len > 0) {
    uint64_t hpa, chunk = 4096 - (gpa & 4095);
    if (chunk > len)
      chunk = len;
    if (!npt_translate(avm, gpa, &hpa))
      return false;
    memcpy(out, (const void *)(uintptr_t)hpa, chunk);
    out += chunk;
    gpa += chunk;
    len -= chunk;
  }
  return true;
}
