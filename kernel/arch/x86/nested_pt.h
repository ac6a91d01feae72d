/*
 * The nested page table both x86 backends use: AMD's NPT (APM vol. 2, 15.25) and Intel's EPT
 * (SDM vol. 3C, 29.3) are the same 4-level radix tree of 512 8-byte entries, walked with the
 * guest-physical address (bits 47..12, 9 a level), with 2 MiB leaves at level 1. They differ only
 * in the entry bits, which the caller passes as struct nested_pt_bits.
 *
 * Tables come from arch/x86/pages.h; addresses are identity (UEFI), so an entry's address is
 * also a pointer to the next table.
 */
#ifndef D0_ARCH_X86_NESTED_PT_H
#define D0_ARCH_X86_NESTED_PT_H

#include <stdbool.h>
#include <stdint.h>

struct nested_pt_bits {
  uint64_t present; /* an entry with any of these bits set is present (NPT: P; EPT: R|W|X) */
  uint64_t table;   /* the bits of an entry that points to a next-level table */
  uint64_t large;   /* the page-size bit of a 2 MiB leaf */
  uint64_t addr;    /* the address field */
};

/*
 * Maps the page at gpa (4 KiB or 2 MiB, per page_size: ARCH_PAGE_4K or ARCH_PAGE_2M) to hpa with
 * the leaf bits `leaf` (the large bit is added for 2 MiB), allocating tables as needed.
 * HV_E_INVAL for a bad size, misaligned addresses, a gpa at or above 2^48 or no root;
 * HV_E_BUSY when the page, or a larger page around it, is already mapped; HV_E_FULL when no
 * table page is left.
 */
int nested_pt_map(uint64_t *root, const struct nested_pt_bits *b, uint64_t gpa, uint64_t hpa,
                  uint64_t page_size, uint64_t leaf);

/* The host-physical address behind gpa, if mapped (leaves of 4 KiB, 2 MiB or 1 GiB). */
bool nested_pt_translate(const uint64_t *root, const struct nested_pt_bits *b, uint64_t gpa,
                         uint64_t *hpa);

/* Copies len bytes of guest-physical memory (may cross pages); false if any page is unmapped. */
bool nested_pt_read(const uint64_t *root, const struct nested_pt_bits *b, uint64_t gpa,
                    void *dst, uint64_t len);

#endif
