#include "arch/x86/nested_pt.h"

#include "arch/arch.h"
#include "arch/x86/pages.h"
#include "d0/lib.h"
#include "hv/err.h"

static unsigned idx(uint64_t gpa, int level) { return (gpa >> (12 + 9 * level)) & 511; }

int nested_pt_map(uint64_t *root, const struct nested_pt_bits *b, uint64_t g, uint64_t h,
                  uint64_t page_size, uint64_t leaf)
{
  int leaf_level = page_size == ARCH_PAGE_2M ? 1 : 0;
  if ((page_size != ARCH_PAGE_4K && page_size != ARCH_PAGE_2M) || ((g | h) & (page_size - 1)) ||
      (g >> 48) != 0 || root == NULL)
    return HV_E_INVAL;
  uint64_t *table = root;
  for (int level = 3; level > leaf_level; level--) {
    uint64_t *e = &table[idx(g, level)];
    if (!(*e & b->present)) {
      uint64_t *next = x86_pages_alloc(1);
      if (next == NULL)
        return HV_E_FULL;
      *e = (uint64_t)(uintptr_t)next | b->table;
    } else if (*e & b->large) {
      return HV_E_BUSY; /* already covered by a larger page */
    }
    table = (uint64_t *)(uintptr_t)(*e & b->addr);
  }
  uint64_t *e = &table[idx(g, leaf_level)];
  if (*e & b->present)
    return HV_E_BUSY;
  *e = h | leaf | (leaf_level == 1 ? b->large : 0);
  return HV_OK;
}

bool nested_pt_translate(const uint64_t *root, const struct nested_pt_bits *b, uint64_t gpa,
                         uint64_t *hpa)
{
  if ((gpa >> 48) != 0 || root == NULL)
    return false;
  const uint64_t *table = root;
  for (int level = 3; level >= 0; level--) {
    uint64_t e = table[idx(gpa, level)];
    if (!(e & b->present))
      return false;
    if (level == 0 || (level <= 2 && (e & b->large))) {
      uint64_t span = 1ull << (12 + 9 * level);
      *hpa = (e & b->addr & ~(span - 1)) | (gpa & (span - 1));
      return true;
    }
    table = (const uint64_t *)(uintptr_t)(e & b->addr);
  }
  return false;
}

bool nested_pt_read(const uint64_t *root, const struct nested_pt_bits *b, uint64_t gpa,
                    void *dst, uint64_t len)
{
  uint8_t *out = dst;
  while (len > 0) {
    uint64_t hpa, chunk = 4096 - (gpa & 4095);
    if (chunk > len)
      chunk = len;
    if (!nested_pt_translate(root, b, gpa, &hpa))
      return false;
    memcpy(out, (const void *)(uintptr_t)hpa, chunk);
    out += chunk;
    gpa += chunk;
    len -= chunk;
  }
  return true;
}
