/*
 * VMXTEST.EFI: a test image (never a release build) that runs the VMX backend end to end under
 * real firmware: feature checks, VMXON, a VMCS with EPT, the VM-entry/exit stub, the exit table,
 * and the generic core (vm_init/vm_start/vm_run, status port, platform UART) on a tiny 64-bit
 * guest (guest.S). test/hv-vmx/vmx-guest.test.ts boots it under Bochs and reads the events:
 *
 *   vmx_selftest cpu=intel|amd|other
 *   vmx_features revision= ept_caps= timer_shift=    or  boot_failed reason=<vmx_check_features>
 *   vm_prepared, firmware_exited, vm_start, console line=..., vm_exit status=, vm_stopped ..., halt
 */
#include "arch/arch.h"
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/pages.h"
#include "arch/x86/time.h"
#include "arch/x86/vmx/host.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "efi/efi_system.h"
#include "hv/err.h"
#include "hv/event.h"
#include "hv/linux_boot.h"
#include "hv/vm.h"
#include "log/log.h"

typedef enum { AllocateAnyPages } EFI_ALLOCATE_TYPE;
typedef EFI_STATUS(EFIAPI *efi_allocate_pages_fn)(EFI_ALLOCATE_TYPE type, EFI_MEMORY_TYPE mt,
                                                  UINTN pages, EFI_PHYSICAL_ADDRESS *addr);
typedef EFI_STATUS(EFIAPI *efi_get_memory_map_fn)(UINTN *size, void *map, UINTN *key,
                                                  UINTN *desc_size, UINT32 *desc_version);
typedef EFI_STATUS(EFIAPI *efi_exit_boot_services_fn)(EFI_HANDLE image, UINTN key);

#define MIB (1024ull * 1024ull)
#define GUEST_RAM (4 * MIB)
#define GUEST_CODE_GPA 0x100000ull
#define POOL_PAGES 64u
#define HALT_WAIT_NS 10000000ull

/* Guest descriptors (SDM vol. 3A 3.4.5, 8.2.3) and their VMX access rights (25.4.1). */
#define GDT_CODE64 0x00af9b000000ffffull
#define GDT_DATA 0x00cf93000000ffffull
#define GDT_TSS64 0x00008b0000000067ull
#define AR_CODE64 0xa09b
#define AR_DATA 0xc093
#define AR_TSS64_BUSY 0x008b
#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_PS 0x80ull

extern const uint8_t vmx_selftest_guest[], vmx_selftest_guest_end[];

static struct vm vm;
static uint8_t memmap[32768];

static bool str_eq(const char *a, const char *b)
{
  size_t n = strlen(a);
  return n == strlen(b) && memcmp(a, b, n) == 0;
}

void hv_event_sink(const struct hv_event *ev)
{
  const char *what = ev->what;
  if (str_eq(what, "vm-started")) {
    log_begin("vm_start");
    log_str("vm", ev->vm);
  } else if (str_eq(what, "vm-exited")) {
    log_begin("vm_exit");
    log_str("vm", ev->vm);
    log_hex("status", ev->a);
  } else {
    log_begin("hv");
    log_str("vm", ev->vm);
    log_str("dev", ev->dev);
    log_str("what", what);
    if (ev->err != 0)
      log_str("err", hv_strerror(ev->err));
    log_hex("a", ev->a);
    log_hex("b", ev->b);
  }
  log_end();
}

static void console_line(void *ctx, const char *line, size_t len)
{
  log_begin("console");
  log_str("vm", ctx);
  log_strn("line", line, len);
  log_end();
}

void x86_exception(const struct x86_exception_frame *f)
{
  log_begin("cpu_exception");
  log_u64("vector", f->vector);
  log_hex("rip", f->rip);
  log_hex("error", f->error_code);
  log_end();
  x86_halt_forever();
}

static void fail(const char *reason, const char *detail)
{
  log_begin("boot_failed");
  log_str("reason", reason);
  if (detail != NULL)
    log_str("detail", detail);
  log_end();
}

static void *alloc_pages(EFI_BOOT_SERVICES *bs, uint64_t bytes)
{
  EFI_PHYSICAL_ADDRESS addr = 0;
  efi_allocate_pages_fn allocate = (efi_allocate_pages_fn)bs->AllocatePages;
  if (EFI_ERROR(allocate(AllocateAnyPages, EfiLoaderData, (bytes + 4095) / 4096, &addr)))
    return NULL;
  return (void *)(uintptr_t)addr;
}

static struct boot_seg seg(uint16_t sel, uint32_t limit, uint16_t ar)
{
  return (struct boot_seg){sel, 0, limit, ar, false};
}

/* GDT, identity page tables for the first GiB (2 MiB pages) and the code, as linux_boot lays
 * them out; the entry state is the Linux 64-bit one with RIP at the code. */
static int write_guest(struct boot_regs *r)
{
  const uint64_t gdt[5] = {0, 0, GDT_CODE64, GDT_DATA, GDT_TSS64};
  TRY(guest_mem_write(&vm.mem, gpa_init(BOOT_GDT_GPA), gdt, sizeof gdt));
  uint64_t pml4 = BOOT_PDPT_GPA | PTE_P | PTE_RW, pdpt = BOOT_PD_GPA | PTE_P | PTE_RW;
  TRY(guest_mem_write(&vm.mem, gpa_init(BOOT_PML4_GPA), &pml4, 8));
  TRY(guest_mem_write(&vm.mem, gpa_init(BOOT_PDPT_GPA), &pdpt, 8));
  for (uint64_t i = 0; i < 512; i++) {
    uint64_t pde = (i << 21) | PTE_P | PTE_RW | PTE_PS;
    TRY(guest_mem_write(&vm.mem, gpa_init(BOOT_PD_GPA + i * 8), &pde, 8));
  }
  TRY(guest_mem_write(&vm.mem, gpa_init(GUEST_CODE_GPA), vmx_selftest_guest,
                      (uint64_t)(vmx_selftest_guest_end - vmx_selftest_guest)));
  memset(r, 0, sizeof(*r));
  r->rip = GUEST_CODE_GPA;
  r->rsp = BOOT_STACK_TOP;
  r->rflags = RFLAGS_FIXED;
  r->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
  r->cr3 = BOOT_PML4_GPA;
  r->cr4 = CR4_PAE;
  r->efer = EFER_LME | EFER_LMA;
  r->cs = seg(BOOT_SEL_CODE, 0xFFFFFFFFu, AR_CODE64);
  r->ds = r->es = r->ss = r->fs = r->gs = seg(BOOT_SEL_DATA, 0xFFFFFFFFu, AR_DATA);
  r->tr = seg(BOOT_SEL_TSS, 0x67, AR_TSS64_BUSY);
  r->ldtr = (struct boot_seg){0, 0, 0, 0, true};
  r->gdtr_base = BOOT_GDT_GPA;
  r->gdtr_limit = sizeof gdt - 1;
  return HV_OK;
}

static EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES *bs)
{
  efi_get_memory_map_fn get_map = (efi_get_memory_map_fn)bs->GetMemoryMap;
  efi_exit_boot_services_fn exit_bs = (efi_exit_boot_services_fn)bs->ExitBootServices;
  EFI_STATUS s = EFI_INVALID_PARAMETER;
  for (int tries = 0; tries < 8; tries++) {
    UINTN size = sizeof memmap, key = 0, desc_size = 0;
    UINT32 version = 0;
    s = get_map(&size, memmap, &key, &desc_size, &version);
    if (EFI_ERROR(s))
      return s;
    s = exit_bs(image, key);
    if (!EFI_ERROR(s))
      return s;
  }
  return s;
}

static const char *vendor(void)
{
  struct x86_cpuid r;
  x86_cpuid(0, 0, &r);
  if (r.ebx == 0x756e6547u)
    return "intel";
  return r.ebx == 0x68747541u ? "amd" : "other";
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
  EFI_BOOT_SERVICES *bs = st->BootServices;
  bs->SetWatchdogTimer(0, 0, 0, NULL);
  log_begin("vmx_selftest");
  log_str("cpu", vendor());
  log_end();

  struct vmx_caps caps;
  const char *why = vmx_check_features(&caps);
  if (why != NULL) {
    fail(why, NULL);
    return EFI_UNSUPPORTED;
  }
  x86_dispatch_select(X86_BACKEND_VMX); /* arch_* calls reach the VMX backend */
  log_begin("vmx_features");
  log_hex("revision", caps.revision);
  log_hex("ept_caps", caps.ept);
  log_u64("timer_shift", caps.timer_shift);
  log_end();

  uint64_t t0 = x86_rdtsc();
  bs->Stall(20000);
  x86_time_calibrate(x86_rdtsc() - t0, 20000);

  uint8_t *raw = alloc_pages(bs, GUEST_RAM + 2 * MIB);
  void *pool = alloc_pages(bs, POOL_PAGES * 4096ull);
  if (raw == NULL || pool == NULL) {
    fail("out_of_memory", NULL);
    return EFI_OUT_OF_RESOURCES;
  }
  uint8_t *ram = (uint8_t *)(((uintptr_t)raw + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
  memset(ram, 0, GUEST_RAM);
  x86_pages_init(pool, POOL_PAGES);

  static struct rtc_wall wall = {2026, 1, 1, 0, 0, 0};
  struct vm_config cfg = {"stub", 30, VM_HEALTH_EXIT_ZERO, &wall, arch_time_ns(),
                          console_line, vm.name};
  struct boot_regs regs;
  int err = vm_init(&vm, &cfg, ram, GUEST_RAM);
  if (err == HV_OK)
    err = write_guest(&regs);
  if (err != HV_OK) {
    fail("vm_setup", hv_strerror(err));
    return EFI_LOAD_ERROR;
  }
  log_begin("vm_prepared");
  log_str("vm", vm.name);
  log_hex("eptp", vm.avm.vmx.eptp);
  log_hex("entry", regs.rip);
  log_end();

  EFI_STATUS s = exit_boot_services(image, bs);
  if (EFI_ERROR(s)) {
    fail("exit_boot_services", NULL);
    return s;
  }
  x86_cli();
  x86_desc_init(); /* a GDT with a TSS: the host TR VM entry requires */
  log_begin("firmware_exited");
  log_u64("tsc_hz", x86_tsc_hz());
  log_end();

  err = vm_start(&vm, &regs);
  if (err != HV_OK) {
    const char *reason = vmx_host_failure();
    fail("vm_start", reason != NULL ? reason : hv_strerror(err));
    x86_halt_forever();
  }
  while (vm_run(&vm, 4096) == HV_OK)
    if (vm.halted)
      vm_wait_interrupt(&vm, arch_time_ns() + HALT_WAIT_NS);
  log_begin("vm_stopped");
  log_str("vm", vm.name);
  log_str("state", vm_state_name(vm.state));
  if (vm.stop_err != 0)
    log_str("err", hv_strerror(vm.stop_err));
  log_u64("exits", vm.vcpu.exits);
  log_u64("timer_exits", vm.vcpu.vmx.timer_exits);
  log_u64("run_ms", vm.stats.run_ns / 1000000ull);
  log_end();
  log_begin("halt");
  log_end();
  x86_halt_forever();
}
