#include "hv/guest_mem.h"

#include "d0/lib.h"
#include "hv/err.h"

int guest_mem_init(struct guest_mem *m, void *host, uint64_t size)
{
  if (host == NULL || size < 0x100000ull || (size & (ARCH_PAGE_4K - 1)) != 0)
    return HV_E_MEM_LAYOUT;
  m->base = hva_from_ptr(host);
  m->size = size;
  m->low_size = size < GUEST_LOW_RAM_MAX ? size : GUEST_LOW_RAM_MAX;
  m->high_size = size - m->low_size;
  return HV_OK;
}

int guest_mem_translate(const struct guest_mem *m, gpa_t gpa, uint64_t len, hva_t *out)
{
  uint64_t a = gpa_addr(gpa);
  gpa_t end;
  if (!gpa_add_checked(gpa, len, &end))
    return HV_E_OVERFLOW;
  if (gpa_addr(end) <= m->low_size) {
    *out = hva_add(m->base, (uintptr_t)a);
    return HV_OK;
  }
  if (m->high_size != 0 && a >= GUEST_HIGH_RAM_BASE &&
      gpa_addr(end) - GUEST_HIGH_RAM_BASE <= m->high_size) {
    *out = hva_add(m->base, (uintptr_t)(m->low_size + (a - GUEST_HIGH_RAM_BASE)));
    return HV_OK;
  }
  return HV_E_RANGE;
}

int guest_mem_read(const struct guest_mem *m, gpa_t gpa, void *dst, uint64_t len)
{
  hva_t src;
  TRY(guest_mem_translate(m, gpa, len, &src));
  memcpy(dst, ptr_from_hva(src), (size_t)len);
  return HV_OK;
}

int guest_mem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len)
{
  hva_t dst;
  TRY(guest_mem_translate(m, gpa, len, &dst));
  memcpy(ptr_from_hva(dst), src, (size_t)len);
  return HV_OK;
}

static int map_region(struct arch_vm *avm, gpa_t gpa, hva_t hva, uint64_t len, uint64_t *n2m,
                      uint64_t *n4k)
{
  uint64_t off = 0;
  while (off < len) {
    hpa_t hpa = arch_hva_to_hpa(hva_add(hva, (uintptr_t)off));
    gpa_t g = gpa_add(gpa, off);
    uint64_t page = ARCH_PAGE_4K;
    if (((gpa_addr(g) | hpa_addr(hpa)) & (ARCH_PAGE_2M - 1)) == 0 && len - off >= ARCH_PAGE_2M)
      page = ARCH_PAGE_2M;
    TRY(arch_npt_map_page(avm, g, hpa, page, ARCH_PROT_RWX));
    if (page == ARCH_PAGE_2M)
      (*n2m)++;
    else
      (*n4k)++;
    off += page;
  }
  return HV_OK;
}

int guest_mem_map(const struct guest_mem *m, struct arch_vm *avm, uint64_t *pages_2m,
                  uint64_t *pages_4k)
{
  uint64_t n2m = 0, n4k = 0;
  TRY(map_region(avm, gpa_init(0), m->base, m->low_size, &n2m, &n4k));
  if (m->high_size != 0)
    TRY(map_region(avm, gpa_init(GUEST_HIGH_RAM_BASE), hva_add(m->base, (uintptr_t)m->low_size),
                   m->high_size, &n2m, &n4k));
  if (pages_2m != NULL)
    *pages_2m = n2m;
  if (pages_4k != NULL)
    *pages_4k = n4k;
  return HV_OK;
}
