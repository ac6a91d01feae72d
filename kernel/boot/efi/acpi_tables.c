/*
 * The host's ACPI tables at boot (acpi_tables.h). The parser reads physical memory only through
 * map_phys: UEFI identity-maps the memory its map lists, so a range is readable exactly when
 * descriptors of the current memory map cover all of it, and is not MMIO or unusable memory
 * (a hostile table address must not make D0 touch a device register or a hole).
 */
#include "acpi_tables.h"

#include "arch/x86/lapic.h"
#include "d0/lib.h"
#include "efi/efi_protocols.h"
#include "efi_mem.h"

static struct acpi_info info; /* ~6 KiB: not on a UEFI stack frame */
static struct efi_memmap memmap;

static bool readable_type(uint32_t type) {
  return type != EfiUnusableMemory && type != EfiMemoryMappedIO &&
         type != EfiMemoryMappedIOPortSpace;
}

/* The end of the readable descriptor holding phys, or 0 when none does. */
static uint64_t covered_until(uint64_t phys) {
  for (UINTN off = 0; off + memmap.desc_size <= memmap.size; off += memmap.desc_size) {
    uint32_t type;
    uint64_t start, pages;
    memcpy(&type, memmap.bytes + off, sizeof type);
    memcpy(&start, memmap.bytes + off + 8, sizeof start);
    memcpy(&pages, memmap.bytes + off + 24, sizeof pages);
    if (pages > (UINT64_MAX - start) / EFI_PAGE_BYTES)
      continue; /* a descriptor that wraps: ignore it */
    uint64_t end = start + pages * EFI_PAGE_BYTES;
    if (readable_type(type) && phys >= start && phys < end)
      return end;
  }
  return 0;
}

static const uint8_t *map_phys(void *ctx, uint64_t phys, uint32_t len) {
  (void)ctx;
  if (memmap.desc_size < 32 || phys + len < phys)
    return NULL;
  /* Adjacent descriptors may split one table: follow them until the range is covered. */
  for (uint64_t at = phys; at < phys + len;) {
    uint64_t end = covered_until(at);
    if (end == 0)
      return NULL;
    at = end;
  }
  return (const uint8_t *)(uintptr_t)phys;
}

static bool guid_eq(const EFI_GUID *a, const EFI_GUID *b) { return memcmp(a, b, sizeof *a) == 0; }

/* The RSDP's address from the configuration table: ACPI 2.0+ first, else ACPI 1.0; 0 if none. */
static uint64_t find_rsdp(EFI_SYSTEM_TABLE *st) {
  static const EFI_GUID ACPI20 = EFI_ACPI_20_TABLE_GUID, ACPI10 = EFI_ACPI_TABLE_GUID;
  const EFI_CONFIGURATION_TABLE *t = st->ConfigurationTable;
  uint64_t v1 = 0;
  for (UINTN i = 0; t != NULL && i < st->NumberOfTableEntries; i++) {
    if (guid_eq(&t[i].VendorGuid, &ACPI20))
      return (uint64_t)(uintptr_t)t[i].VendorTable;
    if (v1 == 0 && guid_eq(&t[i].VendorGuid, &ACPI10))
      v1 = (uint64_t)(uintptr_t)t[i].VendorTable;
  }
  return v1;
}

/* At most this many processors are asked for (the rest could not be used anyway). */
#define FW_CPUS_MAX (2 * ACPI_MAX_CPUS)

/* No MADT: the firmware's MP services know the processors it started itself (OVMF without
 * ACPI tables: Bochs, QEMU -machine acpi=off). Any failure leaves the BSP-only fallback. */
static void firmware_cpus(EFI_SYSTEM_TABLE *st, uint32_t bsp_apic_id) {
  static const EFI_GUID guid = EFI_MP_SERVICES_PROTOCOL_GUID;
  static struct acpi_fw_cpu cpus[FW_CPUS_MAX];
  EFI_MP_SERVICES_PROTOCOL *mp = NULL;
  UINTN n = 0, enabled = 0;
  if (EFI_ERROR(st->BootServices->LocateProtocol(&guid, NULL, (void **)&mp)) || mp == NULL ||
      EFI_ERROR(mp->GetNumberOfProcessors(mp, &n, &enabled)))
    return;
  if (n > FW_CPUS_MAX)
    n = FW_CPUS_MAX;
  for (UINTN i = 0; i < n; i++) {
    EFI_PROCESSOR_INFORMATION p;
    memset(&p, 0, sizeof p);
    if (EFI_ERROR(mp->GetProcessorInfo(mp, i, &p)))
      return;
    cpus[i] = (struct acpi_fw_cpu){p.ProcessorId, p.StatusFlag};
  }
  acpi_use_firmware_cpus(&info, cpus, (uint32_t)n, bsp_apic_id);
}

const struct acpi_info *acpi_tables_read(EFI_SYSTEM_TABLE *st) {
  if (EFI_ERROR(efi_memory_map(st->BootServices, &memmap)))
    memmap.desc_size = 0; /* no map: nothing is readable, every fallback applies */
  struct acpi_mem mem = {map_phys, NULL};
  uint32_t bsp = lapic_self_id();
  acpi_parse(&mem, find_rsdp(st), bsp, &info);
  if (info.cpu_source == ACPI_CPUS_FALLBACK)
    firmware_cpus(st, bsp);
  acpi_log(&info);
  return &info;
}

const struct acpi_info *acpi_tables_info(void) { return &info; }
