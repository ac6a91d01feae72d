#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/svm.h"

#include "arch/x86/nested_pt.h"
#include "arch/x86/pages.h"
#include "hv/err.h"

/* Long-mode paging entry bits (APM vol. 2, 5.3.3). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US)

static const struct nested_pt_bits npt_bits = {PTE_P, PTE_TABLE, PTE_PS, PTE_ADDR};

int svm_vm_init(struct svm_vm *avm)
{
  avm->npt_root = x86_pages_alloc(1);
  if (avm->npt_root == NULL)
    return HV_E_FULL;
  avm->asid = 1; /* shared by all VMs: vcpu.c flushes the TLB when another VM runs */
  avm->npt_gen++;
  return HV_OK;
}

void svm_vm_destroy(struct svm_vm *avm) { avm->npt_root = NULL; }

int svm_map_page(struct svm_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot)
{
  (void)prot; /* RAM is RWX for the guest; device ranges are simply never mapped */
  int err = nested_pt_map(avm->npt_root, &npt_bits, gpa_addr(gpa), hpa_addr(hpa), page_size,
                          PTE_TABLE);
  if (err == HV_OK)
    avm->npt_gen++;
  return err;
}

bool npt_translate(const struct svm_vm *avm, uint64_t gpa, uint64_t *hpa)
{
  return nested_pt_translate(avm->npt_root, &npt_bits, gpa, hpa);
}

bool npt_read(const struct svm_vm *avm, uint64_t gpa, void *dst, uint64_t len)
{
  return nested_pt_read(avm->npt_root, &npt_bits, gpa, dst, len);
}
