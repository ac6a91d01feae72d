/*
 * D0's own host page tables, built once the firmware is gone (after ExitBootServices). Identity
 * mapped like the firmware's (so UEFI runtime services stay callable at their physical
 * addresses: D0 never calls SetVirtualAddressMap), but W^X: every page of D0's image is either
 * writable or executable, never both (.text RX, .rdata R, .data RW, headers R); everything else
 * in the memory map is RW and never executable, including guest RAM. The one exception is
 * EfiRuntimeServicesCode, which the firmware's runtime drivers need RWX (their data lives inside
 * those regions). CR0.WP makes read-only pages binding for D0 itself; EFER.NXE enables NX.
 */
#ifndef D0_ARCH_X86_PAGING_H
#define D0_ARCH_X86_PAGING_H

#include <stddef.h>
#include <stdint.h>

/* One region of the final UEFI memory map, as the paging code needs it. */
struct x86_mem_region {
  uint64_t base, size;
  int runtime_code; /* EfiRuntimeServicesCode */
};

struct x86_paging_stats {
  uint64_t mapped_bytes;
  uint32_t image_pages_rx, image_pages_ro, image_pages_rw;
};

/*
 * Builds the tables from the page pool and switches CR3. image_base is D0's PE image in memory.
 * 0, or -1 (nothing changed: the firmware's tables stay) when the pool is too small or the image
 * headers are not what the linker writes.
 */
int x86_paging_init(const struct x86_mem_region *regions, size_t n, const void *image_base,
                    struct x86_paging_stats *stats);

/*
 * Maps [base, base+bytes) (4 KiB aligned) identity as device memory in D0's tables once they are
 * live: 4 KiB pages, RW, never executable (W^X: MMIO is never executable), uncached (PCD|PWT: PAT
 * entry 3, UC whatever the MTRRs say). For registers the memory map does not list: a NIC's BAR
 * (uplink.c), the TPM's (tpm/direct.c). A 2 MiB page the range falls in is split first, keeping
 * the rest's permissions; other addresses of a 2 MiB range that had no mapping stay unmapped.
 * 0, or -1 when D0's tables are not in use (the firmware's stay: they map MMIO themselves), the
 * range is bad or the page pool is exhausted.
 */
int x86_paging_map_mmio(uint64_t base, uint64_t bytes);

/*
 * Sets one 4 KiB page of memory D0 mapped from the memory map to RX (exec != 0: present,
 * read-only, executable) or RW+NX (exec == 0), splitting its 2 MiB page (the rest keeps its
 * permissions), CR3 reloaded on this CPU. For the AP start-up trampoline (smp.c), which must be
 * executable while APs run it and is data otherwise. 0, or -1 when D0's tables are not in use,
 * addr is unaligned or unmapped, or the page pool is exhausted.
 */
int x86_paging_set_page(uint64_t addr, int exec);

/* The flag bits (P, RW, PWT, PCD, PS, NX, ...) of the leaf entry mapping addr in D0's tables, 0
 * when addr is unmapped or the tables were never built: what the log shows of a mapping. */
uint64_t x86_paging_leaf(uint64_t addr);

/* Reloads CR3 on the CPU running this: its TLB drops every translation (D0 has no global
 * pages). The changes above reload only the CPU that made them; an AP calls this before it
 * takes work, after the BSP changed the tables (the trampoline page made RW+NX, MMIO mapped). */
void x86_paging_flush_this_cpu(void);

#endif
