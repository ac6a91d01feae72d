#include "arch/x86/paging.h"

#include "arch/x86/pages.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"

/* Long-mode paging (AMD APM vol. 2, 5.3; Intel SDM vol. 3A, 4.5). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE_2M 0x200000ull
#define CR0_WP (1ull << 16)
#define EFER_NXE (1ull << 11)

/* PE/COFF (Microsoft PE format spec): offsets D0 reads from its own image. */
#define PE_LFANEW 0x3c
#define PE_NSECTIONS 6
#define PE_OPT_SIZE 20
#define PE_OPT_START 24
#define PE_SIZE_OF_HEADERS 60 /* in the PE32+ optional header */
#define SEC_SIZE 40
#define SEC_VSIZE 8
#define SEC_VADDR 12
#define SEC_CHARS 36
#define SCN_EXECUTE 0x20000000u
#define SCN_WRITE 0x80000000u

static uint64_t *pml4;
static int live; /* CR3 points at pml4 */

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint64_t *next_table(uint64_t *entry)
{
  if (!(*entry & PTE_P)) {
    uint64_t *t = x86_pages_alloc(1);
    if (t == NULL)
      return NULL;
    *entry = (uintptr_t)t | PTE_P | PTE_RW; /* permissions are decided at the leaves */
  }
  return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR);
}

/* The page directory entry for addr (2 MiB granularity). */
static uint64_t *pde(uint64_t addr)
{
  uint64_t *pdpt = next_table(&pml4[(addr >> 39) & 511]);
  uint64_t *pd = pdpt ? next_table(&pdpt[(addr >> 30) & 511]) : NULL;
  return pd ? &pd[(addr >> 21) & 511] : NULL;
}

static int map_2m(uint64_t addr, uint64_t flags)
{
  uint64_t *e = pde(addr);
  if (e == NULL)
    return -1;
  if (*e & PTE_P) {
    if (*e & PTE_PS) /* already mapped: executable wins for runtime code */
      *e &= (flags & PTE_NX) ? ~0ull : ~PTE_NX;
    return 0;
  }
  *e = addr | PTE_P | PTE_RW | PTE_PS | flags;
  return 0;
}

/* Splits the 2 MiB page holding addr into 4 KiB pages with the same permissions. */
static uint64_t *split(uint64_t addr)
{
  uint64_t *e = pde(addr);
  if (e == NULL)
    return NULL;
  if ((*e & PTE_P) && !(*e & PTE_PS))
    return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
  uint64_t *pt = x86_pages_alloc(1);
  if (pt == NULL)
    return NULL;
  uint64_t base = addr & ~(PAGE_2M - 1), flags = (*e & PTE_P) ? (*e & (PTE_RW | PTE_NX)) : PTE_RW | PTE_NX;
  for (int i = 0; i < 512; i++)
    pt[i] = (base + (uint64_t)i * X86_PAGE) | PTE_P | flags;
  *e = (uintptr_t)pt | PTE_P | PTE_RW;
  return pt;
}

static int set_4k(uint64_t addr, uint64_t flags, struct x86_paging_stats *st)
{
  uint64_t *pt = split(addr);
  if (pt == NULL)
    return -1;
  pt[(addr >> 12) & 511] = (addr & PTE_ADDR) | PTE_P | flags;
  if (flags & PTE_NX) {
    if (flags & PTE_RW)
      st->image_pages_rw++;
    else
      st->image_pages_ro++;
  } else {
    st->image_pages_rx++;
  }
  return 0;
}

/* D0's image: headers R, each section by its characteristics, never W and X together. */
static int map_image(const uint8_t *img, struct x86_paging_stats *st)
{
  if (rd16(img) != 0x5a4d)
    return -1;
  const uint8_t *pe = img + rd32(img + PE_LFANEW);
  if (rd32(pe) != 0x00004550)
    return -1;
  uint16_t nsec = rd16(pe + PE_NSECTIONS), optsize = rd16(pe + PE_OPT_SIZE);
  const uint8_t *opt = pe + PE_OPT_START, *sec = opt + optsize;
  uint64_t base = (uintptr_t)img, hdr = rd32(opt + PE_SIZE_OF_HEADERS);
  for (uint64_t off = 0; off < hdr; off += X86_PAGE)
    if (set_4k(base + off, PTE_NX, st) < 0)
      return -1;
  for (uint16_t i = 0; i < nsec; i++, sec += SEC_SIZE) {
    uint32_t chars = rd32(sec + SEC_CHARS), va = rd32(sec + SEC_VADDR), vs = rd32(sec + SEC_VSIZE);
    uint64_t flags = (chars & SCN_EXECUTE) ? 0 : PTE_NX;
    if ((chars & SCN_WRITE) && !(chars & SCN_EXECUTE))
      flags |= PTE_RW;
    for (uint64_t off = 0; off < vs; off += X86_PAGE)
      if (set_4k(base + va + off, flags, st) < 0)
        return -1;
  }
  return 0;
}

int x86_paging_init(const struct x86_mem_region *r, size_t n, const void *image_base,
                    struct x86_paging_stats *st)
{
  memset(st, 0, sizeof(*st));
  pml4 = x86_pages_alloc(1);
  if (pml4 == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    uint64_t start = r[i].base & ~(PAGE_2M - 1), end = r[i].base + r[i].size;
    for (uint64_t a = start; a < end; a += PAGE_2M) {
      if (map_2m(a, r[i].runtime_code ? 0 : PTE_NX) < 0)
        return -1;
      st->mapped_bytes += PAGE_2M;
    }
  }
  if (map_image(image_base, st) < 0)
    return -1;
  x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | EFER_NXE);
  __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
  live = 1;
  uint64_t cr0 = x86_read_cr0() | CR0_WP;
  __asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
  return 0;
}

int x86_paging_map_mmio(uint64_t base, uint64_t bytes)
{
  if (!live || bytes == 0 || (base & (X86_PAGE - 1)) != 0 || base + bytes < base)
    return -1;
  for (uint64_t a = base; a < base + bytes; a += X86_PAGE) {
    uint64_t *e = pde(a);
    if (e == NULL)
      return -1;
    uint64_t *pt;
    if (!(*e & PTE_P)) {
      /* Nothing else of this 2 MiB is mapped: a fresh table whose other entries stay absent. */
      pt = x86_pages_alloc(1);
      if (pt == NULL)
        return -1;
      *e = (uintptr_t)pt | PTE_P | PTE_RW;
    } else {
      pt = split(a); /* RAM in the same 2 MiB keeps its permissions, now in 4 KiB pages */
      if (pt == NULL)
        return -1;
    }
    /* Uncached (PCD|PWT: PAT entry 3, UC, with the reset PAT), writable, never executable. */
    pt[(a >> 12) & 511] = (a & PTE_ADDR) | PTE_P | PTE_RW | PTE_PCD | PTE_PWT | PTE_NX;
  }
  /* No global pages in D0's tables: reloading CR3 drops every stale translation. */
  __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
  return 0;
}

void x86_paging_flush_this_cpu(void)
{
  if (live)
    __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
}

uint64_t x86_paging_leaf(uint64_t addr)
{
  if (pml4 == NULL)
    return 0;
  uint64_t e = pml4[(addr >> 39) & 511];
  if (!(e & PTE_P))
    return 0;
  e = ((uint64_t *)(uintptr_t)(e & PTE_ADDR))[(addr >> 30) & 511];
  if (!(e & PTE_P) || (e & PTE_PS))
    return e & PTE_P ? e & ~PTE_ADDR : 0;
  e = ((uint64_t *)(uintptr_t)(e & PTE_ADDR))[(addr >> 21) & 511];
  if (!(e & PTE_P) || (e & PTE_PS))
    return e & PTE_P ? e & ~PTE_ADDR : 0;
  e = ((uint64_t *)(uintptr_t)(e & PTE_ADDR))[(addr >> 12) & 511];
  return e & PTE_P ? e & ~PTE_ADDR : 0;
}

int x86_paging_set_page(uint64_t addr, int exec)
{
  if (!live || (addr & (X86_PAGE - 1)) != 0)
    return -1;
  uint64_t *e = pde(addr);
  if (e == NULL || !(*e & PTE_P))
    return -1; /* only memory the map listed (and so D0 mapped) changes permissions */
  uint64_t *pt = split(addr);
  if (pt == NULL)
    return -1;
  /* W^X: executable pages are read-only, writable ones never executable. */
  pt[(addr >> 12) & 511] = (addr & PTE_ADDR) | PTE_P | (exec ? 0 : PTE_RW | PTE_NX);
  __asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
  return 0;
}
