/*
 * The host pages D0's backends use after ExitBootServices (VMCBs, host save areas, I/O and MSR
 * permission maps, nested page tables): one contiguous, 4 KiB aligned region that boot/efi
 * allocates from the firmware beforehand (no allocator exists afterwards). Identity mapped, so
 * a page's address is its host-physical address.
 */
#ifndef D0_ARCH_X86_PAGES_H
#define D0_ARCH_X86_PAGES_H

#include <stddef.h>
#include <stdint.h>

#define X86_PAGE 4096u

void x86_pages_init(void *base, size_t npages);

/* n contiguous zeroed pages, or NULL when the region is exhausted. */
void *x86_pages_alloc(size_t n);

size_t x86_pages_free_count(void);

#endif
