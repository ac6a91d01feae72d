/*
 * The firmware's memory, before ExitBootServices: pages for D0 (AllocatePages, EfiLoaderData),
 * how much it can still hand out, and its memory map. The boot services D0's efi headers leave
 * untyped (UEFI 2.10, 7.2 and 7.4) are typed in efi_mem.c.
 */
#ifndef D0_BOOT_EFI_EFI_MEM_H
#define D0_BOOT_EFI_EFI_MEM_H

#include <stdint.h>

#include "efi/efi_system.h"

#define EFI_PAGE_BYTES 4096ull

/* The last memory map read: descriptors of desc_size bytes each (UEFI 2.10, 7.2
 * EFI_MEMORY_DESCRIPTOR: Type at 0, PhysicalStart at 8, NumberOfPages at 24). */
struct efi_memmap {
  const uint8_t *bytes;
  UINTN size, key, desc_size;
};

/* Fresh pages for at least `bytes`, or NULL when the firmware has none left. */
void *efi_alloc_pages(EFI_BOOT_SERVICES *bs, uint64_t bytes);

/* Gives back pages efi_alloc_pages returned for `bytes` (NULL: nothing). */
void efi_free_pages(EFI_BOOT_SERVICES *bs, void *p, uint64_t bytes);

/* One page wholly below `limit` (AllocateMaxAddress, EfiLoaderData), e.g. the APs' real-mode
 * trampoline below 1 MiB; its physical address, or 0 when the firmware has none there. */
uint64_t efi_alloc_page_below(EFI_BOOT_SERVICES *bs, uint64_t limit);

/* Reads the current memory map into D0's one static buffer (the previous map is overwritten). */
EFI_STATUS efi_memory_map(EFI_BOOT_SERVICES *bs, struct efi_memmap *out);

/* Free memory the firmware can still hand out (its EfiConventionalMemory); 0 when the map cannot
 * be read. */
uint64_t efi_free_bytes(EFI_BOOT_SERVICES *bs);

/* ExitBootServices with the key of a fresh map, retried while the key goes stale; *tries says how
 * many attempts were made and *final is the map the firmware accepted. */
EFI_STATUS efi_exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, uint32_t *tries,
                                  struct efi_memmap *final);

#endif
