#include "efi_mem.h"

#include "d0/lib.h"

/* Boot services D0's efi headers leave untyped (UEFI 2.10, 7.2 and 7.4), typed here. */
typedef enum { AllocateAnyPages, AllocateMaxAddress, AllocateAddress } EFI_ALLOCATE_TYPE;
typedef EFI_STATUS(EFIAPI *efi_allocate_pages_fn)(EFI_ALLOCATE_TYPE type, EFI_MEMORY_TYPE mt,
                                                  UINTN pages, EFI_PHYSICAL_ADDRESS *addr);
typedef EFI_STATUS(EFIAPI *efi_free_pages_fn)(EFI_PHYSICAL_ADDRESS addr, UINTN pages);
typedef EFI_STATUS(EFIAPI *efi_get_memory_map_fn)(UINTN *size, void *map, UINTN *key,
                                                  UINTN *desc_size, UINT32 *desc_version);
typedef EFI_STATUS(EFIAPI *efi_exit_boot_services_fn)(EFI_HANDLE image, UINTN key);
_Static_assert(offsetof(EFI_BOOT_SERVICES, AllocatePages) == 40, "BS.AllocatePages");
_Static_assert(offsetof(EFI_BOOT_SERVICES, FreePages) == 48, "BS.FreePages");
_Static_assert(offsetof(EFI_BOOT_SERVICES, GetMemoryMap) == 56, "BS.GetMemoryMap");
_Static_assert(offsetof(EFI_BOOT_SERVICES, ExitBootServices) == 232, "BS.ExitBootServices");

#define MEMMAP_BYTES 32768u

/* Big state lives in .bss: UEFI stack frames stay under 4 KiB. */
static uint8_t memmap[MEMMAP_BYTES];

void *efi_alloc_pages(EFI_BOOT_SERVICES *bs, uint64_t bytes)
{
  EFI_PHYSICAL_ADDRESS addr = 0;
  efi_allocate_pages_fn allocate = (efi_allocate_pages_fn)bs->AllocatePages;
  if (EFI_ERROR(allocate(AllocateAnyPages, EfiLoaderData,
                         (bytes + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES, &addr)))
    return NULL;
  return (void *)(uintptr_t)addr;
}

void efi_free_pages(EFI_BOOT_SERVICES *bs, void *p, uint64_t bytes)
{
  efi_free_pages_fn free_pages = (efi_free_pages_fn)bs->FreePages;
  if (p != NULL)
    free_pages((EFI_PHYSICAL_ADDRESS)(uintptr_t)p, (bytes + EFI_PAGE_BYTES - 1) / EFI_PAGE_BYTES);
}

uint64_t efi_alloc_page_below(EFI_BOOT_SERVICES *bs, uint64_t limit)
{
  EFI_PHYSICAL_ADDRESS addr = limit - 1; /* AllocateMaxAddress: the highest address allowed */
  efi_allocate_pages_fn allocate = (efi_allocate_pages_fn)bs->AllocatePages;
  if (limit < EFI_PAGE_BYTES || EFI_ERROR(allocate(AllocateMaxAddress, EfiLoaderData, 1, &addr)))
    return 0;
  return addr;
}

EFI_STATUS efi_memory_map(EFI_BOOT_SERVICES *bs, struct efi_memmap *out)
{
  efi_get_memory_map_fn get_map = (efi_get_memory_map_fn)bs->GetMemoryMap;
  UINTN size = sizeof memmap, key = 0, desc_size = 0;
  UINT32 version = 0;
  EFI_STATUS s = get_map(&size, memmap, &key, &desc_size, &version);
  *out = (struct efi_memmap){memmap, size, key, desc_size};
  return s;
}

uint64_t efi_free_bytes(EFI_BOOT_SERVICES *bs)
{
  struct efi_memmap map;
  if (EFI_ERROR(efi_memory_map(bs, &map)) || map.desc_size < 32)
    return 0;
  uint64_t pages = 0;
  for (UINTN off = 0; off + map.desc_size <= map.size; off += map.desc_size) {
    uint32_t type;
    uint64_t n;
    memcpy(&type, map.bytes + off, sizeof type);
    memcpy(&n, map.bytes + off + 24, sizeof n);
    if (type == EfiConventionalMemory)
      pages += n;
  }
  return pages * EFI_PAGE_BYTES;
}

/*
 * ExitBootServices needs the key of the current memory map; any allocation in between (even by
 * the firmware itself, e.g. a timer callback) changes the key and the call fails with
 * EFI_INVALID_PARAMETER. Then only GetMemoryMap and ExitBootServices may be called: get the
 * map again and retry (UEFI 2.10, 7.4 ExitBootServices).
 */
EFI_STATUS efi_exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, uint32_t *tries,
                                  struct efi_memmap *final)
{
  efi_exit_boot_services_fn exit_bs = (efi_exit_boot_services_fn)bs->ExitBootServices;
  EFI_STATUS s = EFI_INVALID_PARAMETER;
  *final = (struct efi_memmap){memmap, 0, 0, 0};
  for (*tries = 1; *tries <= 8; (*tries)++) {
    struct efi_memmap map;
    s = efi_memory_map(bs, &map);
    if (EFI_ERROR(s))
      return s;
    s = exit_bs(image, map.key);
    if (!EFI_ERROR(s)) {
      *final = map;
      return s;
    }
  }
  return s;
}
