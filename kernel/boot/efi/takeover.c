#include "takeover.h"

#include "acpi_tables.h"
#include "arch/x86/desc.h"
#include "arch/x86/host_tick.h"
#include "arch/x86/paging.h"
#include "arch/x86/smp.h"
#include "arch/x86/time.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "d0/lib.h"
#include "efi_mem.h"
#include "log/log.h"
#include "uplink.h"

#define MIB (1024ull * 1024ull)
#define MAX_REGIONS 512
static struct x86_mem_region regions[MAX_REGIONS];
extern const uint8_t __ImageBase[]; /* lld-link: D0's own PE image in memory */

/* UEFI 2.10, 7.2 EFI_MEMORY_DESCRIPTOR (walked with the firmware's descriptor size). */
#define MD_TYPE 0
#define MD_PHYS 8
#define MD_PAGES 24
#define EFI_RUNTIME_SERVICES_CODE 5

/* D0's own W^X identity tables over the final memory map (arch/x86/paging.h). */
static void host_paging(const struct efi_memmap *map)
{
  size_t n = 0;
  for (UINTN off = 0; map->desc_size != 0 && off + map->desc_size <= map->size &&
                      n < MAX_REGIONS;
       off += map->desc_size) {
    const uint8_t *d = map->bytes + off;
    uint32_t type;
    uint64_t phys, pages;
    memcpy(&type, d + MD_TYPE, 4);
    memcpy(&phys, d + MD_PHYS, 8);
    memcpy(&pages, d + MD_PAGES, 8);
    regions[n++] = (struct x86_mem_region){phys, pages * EFI_PAGE_BYTES,
                                           type == EFI_RUNTIME_SERVICES_CODE};
  }
  struct x86_paging_stats st;
  int err = x86_paging_init(regions, n, __ImageBase, &st);
  log_begin("host_paging");
  log_str("tables", err == 0 ? "d0_wx" : "firmware");
  log_u64("regions", n);
  log_u64("mapped_mb", st.mapped_bytes / MIB);
  log_u64("image_rx_pages", st.image_pages_rx);
  log_u64("image_ro_pages", st.image_pages_ro);
  log_u64("image_rw_pages", st.image_pages_rw);
  log_end();
#ifdef D0_SELFTEST_WX
  /* Test builds only (test/hv-svm/wx.test.ts): a write to D0's own code must fault (#PF). */
  log_begin("selftest_wx");
  log_end();
  *(volatile uint8_t *)(uintptr_t)&x86_paging_init = 0xcc;
#endif
}

/* The APs' real-mode trampoline page (arch/x86/smp_tramp.h): below 1 MiB, reserved while the
 * firmware can still hand it out; 0 when it could not be. */
static uint64_t tramp_page;

/* Every enabled CPU of the MADT up with its backend on (arch/x86/smp.h); run_vms places the VMs.
 * Without a MADT the fallback list is the BSP alone. */
static void cpus_up(enum x86_backend backend)
{
  static uint32_t ids[ACPI_MAX_CPUS];
  const struct acpi_info *a = acpi_tables_info();
  uint32_t n = 0;
  for (uint32_t i = 0; i < a->cpu_count && i < ACPI_MAX_CPUS; i++)
    if (a->cpus[i].flags & ACPI_CPU_ENABLED)
      ids[n++] = a->cpus[i].apic_id;
  x86_smp_start(tramp_page, a->lapic_addr, ids, n, backend);
}

/* D0 owns the CPU from here: its descriptors and page tables, then the VMs (run_vms.c). */
static __attribute__((noreturn)) void take_over(const struct efi_memmap *map,
                                                struct launched_vm *vms, uint32_t n,
                                                enum x86_backend backend)
{
  x86_cli(); /* IF stays 0 in D0 except right after a #VMEXIT (arch/x86/host_tick.h) */
  x86_desc_init();
  host_paging(map);
  cpus_up(backend);
  /* The host tick ends a guest's run on both backends: SVM through the INTR intercept, VMX
   * through external-interrupt exiting (VMX also has its preemption timer slice). */
  x86_host_tick_init(acpi_tables_info()->lapic_addr, X86_TICK_HZ);
  log_begin("firmware_exited");
  log_u64("tsc_hz", x86_tsc_hz());
  log_u64("host_tick_hz", X86_TICK_HZ);
  /* The guests' XSAVES must see the IA32_XSS they read (0), not one the firmware set. */
  log_hex("ia32_xss_was", x86_xstate_clear_xss());
  log_end();
  uplink_takeover(); /* needs D0's page tables: its registers are mapped into them */
  run_vms(vms, n);
}

EFI_STATUS takeover_run(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, struct launched_vm *vms,
                        uint32_t n, enum x86_backend backend)
{
  uint32_t tries = 0;
  struct efi_memmap map;
  tramp_page = efi_alloc_page_below(bs, 0x100000);
  if (tramp_page == 0) {
    log_begin("smp_trampoline");
    log_str("error", "no_page_below_1mib");
    log_end();
  }
  EFI_STATUS s = efi_exit_boot_services(image, bs, &tries, &map);
  if (EFI_ERROR(s)) {
    log_begin("boot_failed");
    log_str("reason", "exit_boot_services");
    log_hex("status", s);
    log_u64("tries", tries);
    log_end();
    return s;
  }
  take_over(&map, vms, n, backend);
}
