#include "launch.h"

#include "ab/ab.h"

#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/host_tick.h"
#include "arch/x86/pages.h"
#include "arch/x86/paging.h"
#include "arch/x86/time.h"
#include "arch/x86/spec.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "d0/lib.h"
#include "d0/sha2.h"
#include "dev/virtio/virtio_blk.h"
#include "dev/virtio/virtio_net.h"
#include "hv/cmdline.h"
#include "hv/err.h"
#include "hv/event.h"
#include "hv/health.h"
#include "hv/layout.h"
#include "hv/linux_boot.h"
#include "hv/vm.h"
#include "vms.h"
#include "log/fmt.h"
#include "log/log.h"

/* Boot services D0's efi headers leave untyped (UEFI 2.10, 7.2 and 7.4), typed here. */
typedef enum { AllocateAnyPages, AllocateMaxAddress, AllocateAddress } EFI_ALLOCATE_TYPE;
typedef EFI_STATUS(EFIAPI *efi_allocate_pages_fn)(EFI_ALLOCATE_TYPE type, EFI_MEMORY_TYPE mt,
                                                  UINTN pages, EFI_PHYSICAL_ADDRESS *addr);
typedef EFI_STATUS(EFIAPI *efi_get_memory_map_fn)(UINTN *size, void *map, UINTN *key,
                                                  UINTN *desc_size, UINT32 *desc_version);
typedef EFI_STATUS(EFIAPI *efi_exit_boot_services_fn)(EFI_HANDLE image, UINTN key);
_Static_assert(offsetof(EFI_BOOT_SERVICES, AllocatePages) == 40, "BS.AllocatePages");
_Static_assert(offsetof(EFI_BOOT_SERVICES, GetMemoryMap) == 56, "BS.GetMemoryMap");
_Static_assert(offsetof(EFI_BOOT_SERVICES, ExitBootServices) == 232, "BS.ExitBootServices");

/* 8.3 GetTime, the first service after the runtime services table header. */
typedef EFI_STATUS(EFIAPI *efi_get_time_fn)(EFI_TIME *time, void *caps);
struct efi_runtime_head {
  EFI_TABLE_HEADER Hdr;
  efi_get_time_fn GetTime;
};
_Static_assert(offsetof(struct efi_runtime_head, GetTime) == 24, "RT.GetTime");

#define MIB (1024ull * 1024ull)
#define PAGE 4096ull
/* Copy-on-write overlay for the root disk: guest writes live here (kernel/dev/virtio). */
#define OVERLAY_SLOTS 4096u /* 16 MiB */
/* Pages for D0's own page tables, then per VM its VMCB/VMCS, permission maps and nested tables
 * (a 64 GiB VM needs ~40 with 2 MiB pages; a small one ~10). */
#define ARCH_POOL_BASE_PAGES 128u
#define ARCH_POOL_PAGES_PER_VM 48u
#define MEMMAP_BYTES 32768u

/* Big state lives in .bss: UEFI stack frames stay under 4 KiB. */
static struct launched_vm vms[TLV_MAX_CONTAINERS];
static uint32_t n_prepared; /* vms[0..n_prepared) are built: hv_event_sink finds them by name */
static struct bridge bridge; /* eth0 of every VM, static MACs from the manifest */
static char cmdline[BOOT_CMDLINE_MAX];
static uint8_t memmap[MEMMAP_BYTES];
static UINTN memmap_size, memmap_desc_size; /* the map ExitBootServices accepted */
#define MAX_REGIONS 512
static struct x86_mem_region regions[MAX_REGIONS];
extern const uint8_t __ImageBase[]; /* lld-link: D0's own PE image in memory */

/* UEFI 2.10, 7.2 EFI_MEMORY_DESCRIPTOR (walked with the firmware's descriptor size). */
#define MD_TYPE 0
#define MD_PHYS 8
#define MD_PAGES 24
#define EFI_RUNTIME_SERVICES_CODE 5

/* ---- events of the core and the CPU into the boot log ----------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
  size_t n = strlen(a);
  return n == strlen(b) && memcmp(a, b, n) == 0;
}

/* Once per VM and kind: the log says from when on lines of that VM are being dropped. */
static void announce_throttle(const char *vm, const char *kind, const struct log_budget *b,
                              bool *announced)
{
  if (*announced)
    return;
  *announced = true;
  log_begin("log_throttled");
  log_str("vm", vm);
  log_str("kind", kind);
  log_u64("rate", b->rate_per_s);
  log_u64("burst", b->burst);
  log_end();
}

static struct launched_vm *find_vm(const char *name)
{
  for (uint32_t i = 0; i < n_prepared; i++)
    if (str_eq(vms[i].vm.name, name))
      return &vms[i];
  return NULL;
}

/*
 * Device and diagnostic events of a VM go through its event budget; lifecycle events (start,
 * ready, exit, and the core's one stop event, dev "vm") always pass: a verdict must never be
 * lost to a flood.
 */
static bool event_allowed(const struct hv_event *ev)
{
  if (str_eq(ev->dev, "vm"))
    return true;
  struct launched_vm *l = find_vm(ev->vm);
  if (l == NULL)
    return true; /* not a VM's (nothing else logs through here today) */
  if (log_budget_take(&l->event_budget, arch_time_ns()))
    return true;
  announce_throttle(ev->vm, "events", &l->event_budget, &l->events_throttled);
  return false;
}

void hv_event_sink(const struct hv_event *ev)
{
  if (str_eq(ev->what, "vm-started")) {
    log_begin("vm_start");
    log_str("vm", ev->vm);
    log_u64("mem_bytes", ev->a);
  } else if (str_eq(ev->what, "vm-ready")) {
    log_begin("vm_ready");
    log_str("vm", ev->vm);
    log_u64("after_ms", ev->a / 1000000ull);
  } else if (str_eq(ev->what, "vm-exited")) {
    log_begin("vm_exit");
    log_str("vm", ev->vm);
    log_u64("status", ev->a);
    log_u64("after_ms", ev->b / 1000000ull);
  } else {
    if (!event_allowed(ev))
      return;
    log_begin("hv");
    log_str("vm", ev->vm);
    log_str("dev", ev->dev);
    log_str("what", ev->what);
    if (ev->err != 0)
      log_str("err", hv_strerror(ev->err));
    log_hex("a", ev->a);
    log_hex("b", ev->b);
  }
  log_end();
}

/* A console line of the guest: ev=console vm=NAME line="TEXT" (the guest's bytes, quoted and
 * escaped by log.h's rule), within the VM's console budget. ctx is its struct launched_vm. */
static void console_line(void *ctx, const char *line, size_t len)
{
  struct launched_vm *l = ctx;
  if (!log_budget_take(&l->console_budget, arch_time_ns())) {
    announce_throttle(l->vm.name, "console", &l->console_budget, &l->console_throttled);
    return;
  }
  log_begin("console");
  log_str("vm", l->vm.name);
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
  ab_fatal("cpu_exception"); /* a trial build resets (and is retried or rolled back) */
  x86_halt_forever();
}

/* ---- before ExitBootServices ------------------------------------------------------------------ */

static EFI_STATUS fail(const char *reason, const char *detail, EFI_STATUS status)
{
  log_begin("boot_failed");
  log_str("reason", reason);
  if (detail != NULL)
    log_str("detail", detail);
  log_str("stage", "launch");
  log_end();
  return status;
}

static void *alloc_pages(EFI_BOOT_SERVICES *bs, uint64_t bytes)
{
  EFI_PHYSICAL_ADDRESS addr = 0;
  efi_allocate_pages_fn allocate = (efi_allocate_pages_fn)bs->AllocatePages;
  if (EFI_ERROR(allocate(AllocateAnyPages, EfiLoaderData, (bytes + PAGE - 1) / PAGE, &addr)))
    return NULL;
  return (void *)(uintptr_t)addr;
}

/* Reads a file the manifest names into fresh pages and checks its signed size and digest. */
static EFI_STATUS load_verified(EFI_BOOT_SERVICES *bs, struct esp *esp, const char *path,
                                uint64_t size, const uint8_t digest[32], uint8_t **out)
{
  uint8_t got[SHA256_DIGEST_LEN];
  size_t len = 0;
  uint8_t *buf = alloc_pages(bs, size);
  if (buf == NULL)
    return fail("out_of_memory", path, EFI_OUT_OF_RESOURCES);
  if (esp_read_file(esp, path, buf, size, &len) != ESP_OK || len != size)
    return fail("size_mismatch", path, EFI_COMPROMISED_DATA);
  sha256(buf, len, got);
  if (!d0_ct_eq(got, digest, SHA256_DIGEST_LEN))
    return fail("digest_mismatch", path, EFI_COMPROMISED_DATA);
  *out = buf;
  return EFI_SUCCESS;
}

/* Launch order: ascending boot_order, manifest (name) order on ties. order[] gets indexes. */
static void launch_order(const struct d0_manifest *m, uint32_t *order)
{
  for (uint32_t i = 0; i < m->n_containers; i++) {
    uint32_t j = i;
    while (j > 0 && m->containers[order[j - 1]].boot_order > m->containers[i].boot_order) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
}


static void read_wall_clock(EFI_SYSTEM_TABLE *st, struct rtc_wall *w)
{
  EFI_TIME t;
  const struct efi_runtime_head *rt = st->RuntimeServices;
  *w = (struct rtc_wall){2026, 1, 1, 0, 0, 0}; /* used only if the firmware has no clock */
  if (rt != NULL && !EFI_ERROR(rt->GetTime(&t, NULL))) {
    struct rtc_wall got = {t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second};
    if (rtc_wall_valid(&got))
      *w = got;
  }
}

static EFI_STATUS build_vm(const struct rtc_wall *wall, struct launched_vm *l,
                           const struct d0_container *c, const uint8_t *kernel,
                           uint64_t kernel_size, const uint8_t *image, uint8_t *ram,
                           uint8_t *overlay, uint64_t *keys)
{
  struct vm *vm = &l->vm;
  struct vm_config cfg = {c->name, c->health_timeout_s,
                          c->health == TLV_HEALTH_EXIT_ZERO ? VM_HEALTH_EXIT_ZERO
                                                            : VM_HEALTH_READY,
                          wall, arch_time_ns(), console_line, l};
  log_budget_init(&l->console_budget, LOG_BUDGET_CONSOLE_RATE, LOG_BUDGET_CONSOLE_BURST,
                  arch_time_ns());
  log_budget_init(&l->event_budget, LOG_BUDGET_EVENTS_RATE, LOG_BUDGET_EVENTS_BURST,
                  arch_time_ns());
  int err = vm_init(vm, &cfg, ram, (uint64_t)c->mem_mb * MIB);
  if (err == HV_OK)
    err = blk_backing_init(&l->disk, image, c->disk_size, overlay, keys, OVERLAY_SLOTS);
  if (err == HV_OK) {
    virtio_blk_init(&l->blk, &vm->env, &l->disk, LAYOUT_VIRTIO_BLK_BASE, LAYOUT_VIRTIO_BLK_GSI,
                    vm->name);
    err = virtio_mmio_attach(&l->blk.t, &vm->mmio);
  }
  if (err == HV_OK) {
    l->port = bridge_add_port(&bridge, &l->net, c->mac);
    if (l->port == NULL)
      return fail("vm_setup", "bridge_port_refused", EFI_LOAD_ERROR); /* duplicate MAC */
    virtio_net_init(&l->net, &vm->env, c->mac, LAYOUT_VIRTIO_NET_BASE, LAYOUT_VIRTIO_NET_GSI,
                    bridge_tx, l->port);
    err = virtio_mmio_attach(&l->net.t, &vm->mmio);
  }
  const struct cmdline_dev devs[] = {{LAYOUT_VIRTIO_BLK_BASE, LAYOUT_VIRTIO_BLK_GSI},
                                     {LAYOUT_VIRTIO_NET_BASE, LAYOUT_VIRTIO_NET_GSI}};
  struct cmdline_route routes[TLV_MAX_ROUTES];
  for (uint32_t i = 0; i < c->n_routes && i < TLV_MAX_ROUTES; i++) {
    memcpy(routes[i].dest.addr, c->routes[i].dest.addr, 4);
    routes[i].dest.prefix = c->routes[i].dest.prefix;
    memcpy(routes[i].via.addr, c->routes[i].via, 4);
  }
  struct cmdline_cfg cc = {c->name, {{0}, 0}, c->has_gw, {{0}, 0}, routes, c->n_routes,
                           devs, 2, false, (uint32_t)(x86_tsc_hz() / 1000u)};
  memcpy(cc.ip.addr, c->ip4.addr, 4);
  cc.ip.prefix = c->ip4.prefix;
  memcpy(cc.gw.addr, c->gw4, 4);
  size_t len = 0;
  uint64_t kernel_gpa = 0;
  if (err == HV_OK)
    err = cmdline_build(cmdline, sizeof cmdline, &cc, &len);
  if (err == HV_OK) /* copies the command line into guest memory */
    err = linux_boot_load(&vm->mem, kernel, kernel_size, cmdline, &l->regs, &kernel_gpa);
  if (err != HV_OK)
    return fail("vm_setup", hv_strerror(err), EFI_LOAD_ERROR);
  log_begin("vm_prepared");
  log_str("vm", vm->name);
  log_u64("mem_mb", c->mem_mb);
  log_hex("kernel_gpa", kernel_gpa);
  log_hex("entry", l->regs.rip);
  log_u64("cmdline_bytes", len);
  log_end();
  return EFI_SUCCESS;
}

/*
 * ExitBootServices needs the key of the current memory map; any allocation in between (even by
 * the firmware itself, e.g. a timer callback) changes the key and the call fails with
 * EFI_INVALID_PARAMETER. Then only GetMemoryMap and ExitBootServices may be called: get the
 * map again and retry (UEFI 2.10, 7.4 ExitBootServices).
 */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES *bs, uint32_t *tries)
{
  efi_get_memory_map_fn get_map = (efi_get_memory_map_fn)bs->GetMemoryMap;
  efi_exit_boot_services_fn exit_bs = (efi_exit_boot_services_fn)bs->ExitBootServices;
  EFI_STATUS s = EFI_INVALID_PARAMETER;
  for (*tries = 1; *tries <= 8; (*tries)++) {
    UINTN size = sizeof memmap, key = 0, desc_size = 0;
    UINT32 version = 0;
    s = get_map(&size, memmap, &key, &desc_size, &version);
    if (EFI_ERROR(s))
      return s;
    s = exit_bs(image, key);
    if (!EFI_ERROR(s)) {
      memmap_size = size;
      memmap_desc_size = desc_size;
      return s;
    }
  }
  return s;
}

/* ---- after ExitBootServices: D0 owns the CPU ---------------------------------------------------- */

/* D0's own W^X identity tables over the final memory map (arch/x86/paging.h). */
static void host_paging(void)
{
  size_t n = 0;
  for (UINTN off = 0; memmap_desc_size != 0 && off + memmap_desc_size <= memmap_size &&
                      n < MAX_REGIONS;
       off += memmap_desc_size) {
    const uint8_t *d = memmap + off;
    uint32_t type;
    uint64_t phys, pages;
    memcpy(&type, d + MD_TYPE, 4);
    memcpy(&phys, d + MD_PHYS, 8);
    memcpy(&pages, d + MD_PAGES, 8);
    regions[n++] = (struct x86_mem_region){phys, pages * PAGE, type == EFI_RUNTIME_SERVICES_CODE};
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

/* D0 owns the CPU from here: its descriptors and page tables, then the VMs (run_vms.c). */
static __attribute__((noreturn)) void take_over(uint32_t n, enum x86_backend backend)
{
  x86_cli(); /* IF stays 0 in D0 except right after a #VMEXIT (arch/x86/host_tick.h) */
  x86_desc_init();
  host_paging();
  /* SVM ends a guest's run on the host tick (INTR intercept); VMX has its preemption timer. */
  if (backend == X86_BACKEND_SVM)
    x86_host_tick_init(X86_TICK_HZ);
  log_begin("firmware_exited");
  log_u64("tsc_hz", x86_tsc_hz());
  log_u64("host_tick_hz", backend == X86_BACKEND_SVM ? X86_TICK_HZ : 0);
  /* The guests' XSAVES must see the IA32_XSS they read (0), not one the firmware set. */
  log_hex("ia32_xss_was", x86_xstate_clear_xss());
  log_end();
  run_vms(vms, n);
}

/* Memory of one VM, from the firmware before it goes; NULL fields when it ran out. */
struct vm_memory {
  uint8_t *kernel, *disk, *ram, *overlay;
  uint64_t *keys;
};

/* Reads and re-verifies container c's disk, allocates its RAM (2 MiB aligned, so the nested
 * tables use 2 MiB pages throughout) and its overlay, and prepares its VM in l. */
static EFI_STATUS prepare(EFI_BOOT_SERVICES *bs, struct esp *esp, const struct rtc_wall *wall,
                          const struct d0_manifest *m, const uint8_t *kernel,
                          const struct d0_container *c, struct launched_vm *l)
{
  uint8_t *disk_image;
  EFI_STATUS s = load_verified(bs, esp, c->disk_path, c->disk_size, c->disk_sha256, &disk_image);
  if (EFI_ERROR(s))
    return s;
  uint64_t ram_bytes = (uint64_t)c->mem_mb * MIB;
  uint8_t *ram_raw = alloc_pages(bs, ram_bytes + 2 * MIB);
  uint8_t *overlay = alloc_pages(bs, (uint64_t)OVERLAY_SLOTS * BLK_CHUNK);
  uint64_t *keys = alloc_pages(bs, (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t));
  if (ram_raw == NULL || overlay == NULL || keys == NULL)
    return fail("out_of_memory", c->name, EFI_OUT_OF_RESOURCES);
  uint8_t *ram = (uint8_t *)(((uintptr_t)ram_raw + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
  memset(ram, 0, ram_bytes);
  size_t pages_before = x86_pages_free_count();
  s = build_vm(wall, l, c, kernel, m->kernel_size, disk_image, ram, overlay, keys);
  if (EFI_ERROR(s))
    return s;
  /* D0's bytes for this VM so far: its record, the overlay's key table, the nested tables;
   * run_vms adds the vCPU's pages (VMCB/VMCS, permission maps) when it starts. */
  l->d0_bytes = sizeof *l + (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t) +
                (uint64_t)(pages_before - x86_pages_free_count()) * PAGE;
  l->overlay_bytes = (uint64_t)OVERLAY_SLOTS * BLK_CHUNK;
  l->ram_bytes = ram_bytes;
  log_begin("images_loaded");
  log_str("vm", c->name);
  log_u64("disk_bytes", c->disk_size);
  log_end();
  return EFI_SUCCESS;
}

/*
 * The memory this build takes before ExitBootServices, by the allocations below (the same rule as
 * core/host-memory.ts, less the firmware's own share): the guest kernel once, and per VM its disk
 * image, its RAM with 2 MiB of alignment slack, its write overlay and the overlay's key table.
 */
static uint64_t plan_bytes(const struct d0_manifest *m)
{
  uint64_t need = m->kernel_size;
  for (uint32_t i = 0; i < m->n_containers; i++) {
    const struct d0_container *c = &m->containers[i];
    need += c->disk_size + (uint64_t)c->mem_mb * MIB + 2 * MIB + (uint64_t)OVERLAY_SLOTS * BLK_CHUNK +
            (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t);
  }
  return need;
}

/* Free memory the firmware can still hand out: its EfiConventionalMemory (UEFI 2.10, 7.2
 * EFI_MEMORY_DESCRIPTOR: Type at 0, NumberOfPages at 24). 0 when the map cannot be read. */
static uint64_t free_bytes(EFI_BOOT_SERVICES *bs)
{
  efi_get_memory_map_fn get_map = (efi_get_memory_map_fn)bs->GetMemoryMap;
  UINTN size = sizeof memmap, key = 0, desc_size = 0;
  UINT32 version = 0;
  if (EFI_ERROR(get_map(&size, memmap, &key, &desc_size, &version)) || desc_size < 32)
    return 0;
  uint64_t pages = 0;
  for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
    uint32_t type;
    uint64_t n;
    memcpy(&type, memmap + off, sizeof type);
    memcpy(&n, memmap + off + 24, sizeof n);
    if (type == EfiConventionalMemory)
      pages += n;
  }
  return pages * PAGE;
}

EFI_STATUS d0_launch(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct esp *esp,
                     const struct d0_manifest *m)
{
  EFI_BOOT_SERVICES *bs = st->BootServices;
  struct x86_virt_probe probe;
  bool ok = x86_virt_probe(&probe);
  log_begin("cpu");
  log_str("vendor", x86_vendor_name(probe.vendor));
  log_str("backend", x86_backend_name(probe.backend));
  log_u64("nrip_save", probe.nrip_save);
  /* What every vCPU switch saves and restores (arch/x86/xstate.h). */
  log_hex("xcr0_supported", x86_xstate_supported());
  log_u64("xsave_bytes", x86_xstate_area_bytes());
  log_end();
  if (!ok)
    return fail("no_virtualization", probe.reason, EFI_UNSUPPORTED);
  x86_spec_probe(probe.backend == X86_BACKEND_VMX); /* ev=spec: the mitigations chosen */

  /* Needed vs available before loading anything: a host too small for the build is refused
   * with both numbers, rather than by whichever allocation happens to fail first. */
  uint64_t need = plan_bytes(m), avail = free_bytes(bs);
  log_begin("memory_plan");
  log_u64("needed_mib", (need + MIB - 1) / MIB);
  log_u64("available_mib", avail / MIB);
  log_end();
  if (avail != 0 && need > avail)
    return fail("out_of_memory", "memory_plan", EFI_OUT_OF_RESOURCES);

  uint8_t *kernel;
  EFI_STATUS s = load_verified(bs, esp, m->kernel_path, m->kernel_size, m->kernel_sha256, &kernel);
  if (EFI_ERROR(s))
    return s;
  uint32_t n = m->n_containers, order[TLV_MAX_CONTAINERS];
  void *pool = alloc_pages(bs, (uint64_t)(ARCH_POOL_BASE_PAGES + ARCH_POOL_PAGES_PER_VM * n) * PAGE);
  if (pool == NULL)
    return fail("out_of_memory", "arch_pages", EFI_OUT_OF_RESOURCES);
  x86_pages_init(pool, ARCH_POOL_BASE_PAGES + ARCH_POOL_PAGES_PER_VM * n);
  static struct rtc_wall wall;
  read_wall_clock(st, &wall);
  launch_order(m, order);
  bridge_init(&bridge);
  /* Every VM is prepared before the firmware goes: one that cannot be (a digest mismatch, no
   * memory, a kernel D0 cannot load) fails the whole boot with nothing launched. */
  for (uint32_t i = 0; i < n; i++) {
    s = prepare(bs, esp, &wall, m, kernel, &m->containers[order[i]], &vms[i]);
    if (EFI_ERROR(s))
      return s;
    n_prepared = i + 1;
  }
  log_begin("vms_prepared");
  log_u64("vms", n);
  log_u64("kernel_bytes", m->kernel_size);
  log_end();

  uint32_t tries = 0;
  s = exit_boot_services(image, bs, &tries);
  if (EFI_ERROR(s)) {
    log_begin("boot_failed");
    log_str("reason", "exit_boot_services");
    log_hex("status", s);
    log_u64("tries", tries);
    log_end();
    return s;
  }
  take_over(n, probe.backend);
}
