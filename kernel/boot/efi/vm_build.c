#include "vm_build.h"

#include "arch/x86/pages.h"
#include "arch/x86/time.h"
#include "d0/lib.h"
#include "efi_mem.h"
#include "hv/cmdline.h"
#include "hv/err.h"
#include "hv/layout.h"
#include "launch_events.h"
#include "launch_fail.h"
#include "load.h"
#include "log/log.h"
#include "net.h"

/* 8.3 GetTime, the first service after the runtime services table header. */
typedef EFI_STATUS(EFIAPI *efi_get_time_fn)(EFI_TIME *time, void *caps);
struct efi_runtime_head {
  EFI_TABLE_HEADER Hdr;
  efi_get_time_fn GetTime;
};
_Static_assert(offsetof(struct efi_runtime_head, GetTime) == 24, "RT.GetTime");

#define MIB (1024ull * 1024ull)
/* Copy-on-write overlay for the root disk: guest writes live here (kernel/dev/virtio). */
#define OVERLAY_SLOTS 4096u /* 16 MiB */

static char cmdline[BOOT_CMDLINE_MAX];
static struct rtc_wall wall;

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

void vm_build_begin(EFI_SYSTEM_TABLE *st)
{
  read_wall_clock(st, &wall);
  net_begin();
}

uint64_t vm_build_bytes(const struct d0_manifest *m)
{
  uint64_t need = m->kernel_size;
  for (uint32_t i = 0; i < m->n_containers; i++) {
    const struct d0_container *c = &m->containers[i];
    need += c->disk_size + (uint64_t)c->mem_mb * MIB + 2 * MIB + (uint64_t)OVERLAY_SLOTS * BLK_CHUNK +
            (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t);
  }
  return need;
}

/* vm.after_exit: the VM's virtio-net, whose TX notifications may be off (virtio_net.h). */
static void net_after_exit(void *net) { virtio_net_after_exit(net); }

static EFI_STATUS build_vm(const struct rtc_wall *wall, struct launched_vm *l,
                           const struct d0_container *c, const uint8_t *kernel,
                           uint64_t kernel_size, const uint8_t *image, uint8_t *ram,
                           uint8_t *overlay, uint64_t *keys)
{
  struct vm *vm = &l->vm;
  struct vm_config cfg = {c->name, c->health_timeout_s,
                          c->health == TLV_HEALTH_EXIT_ZERO ? VM_HEALTH_EXIT_ZERO
                                                            : VM_HEALTH_READY,
                          wall, arch_time_ns(), launch_console_line, l, c->vcpu};
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
    l->port = net_add_vm(&l->net, c);
    if (l->port == NULL) /* a duplicated or reserved MAC, or no address */
      return launch_fail("vm_setup", "bridge_port_refused", EFI_LOAD_ERROR);
    virtio_net_init(&l->net, &vm->env, c->mac, LAYOUT_VIRTIO_NET_BASE, LAYOUT_VIRTIO_NET_GSI,
                    bridge_tx, l->port);
    err = virtio_mmio_attach(&l->net.t, &vm->mmio);
    vm->after_exit = net_after_exit;
    vm->after_exit_ctx = &l->net;
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
    err = linux_boot_load(&vm->mem, kernel, kernel_size, cmdline, vm->vcpus, &l->regs,
                          &kernel_gpa);
  if (err != HV_OK)
    return launch_fail("vm_setup", hv_strerror(err), EFI_LOAD_ERROR);
  log_begin("vm_prepared");
  log_str("vm", vm->name);
  log_u64("mem_mb", c->mem_mb);
  log_hex("kernel_gpa", kernel_gpa);
  log_hex("entry", l->regs.rip);
  log_u64("vcpus", vm->vcpus);
  log_u64("cmdline_bytes", len);
  log_end();
  return EFI_SUCCESS;
}

EFI_STATUS vm_build_prepare(EFI_BOOT_SERVICES *bs, struct esp *esp, const struct d0_manifest *m,
                            const uint8_t *kernel, const struct d0_container *c, uint8_t *held,
                            struct launched_vm *l)
{
  uint8_t *disk_image;
  EFI_STATUS s = load_verified(bs, esp, c->disk_path, c->disk_size, c->disk_sha256, held,
                               &disk_image);
  if (EFI_ERROR(s))
    return s;
  uint64_t ram_bytes = (uint64_t)c->mem_mb * MIB;
  uint8_t *ram_raw = efi_alloc_pages(bs, ram_bytes + 2 * MIB);
  uint8_t *overlay = efi_alloc_pages(bs, (uint64_t)OVERLAY_SLOTS * BLK_CHUNK);
  uint64_t *keys = efi_alloc_pages(bs, (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t));
  if (ram_raw == NULL || overlay == NULL || keys == NULL)
    return launch_fail("out_of_memory", c->name, EFI_OUT_OF_RESOURCES);
  uint8_t *ram = (uint8_t *)(((uintptr_t)ram_raw + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
  memset(ram, 0, ram_bytes);
  size_t pages_before = x86_pages_free_count();
  s = build_vm(&wall, l, c, kernel, m->kernel_size, disk_image, ram, overlay, keys);
  if (EFI_ERROR(s))
    return s;
  /* D0's bytes for this VM so far: its record, the overlay's key table, the nested tables;
   * run_vms adds the vCPU's pages (VMCB/VMCS, permission maps) when it starts. */
  l->d0_bytes = sizeof *l + (uint64_t)OVERLAY_SLOTS * sizeof(uint64_t) +
                (uint64_t)(pages_before - x86_pages_free_count()) * EFI_PAGE_BYTES;
  l->overlay_bytes = (uint64_t)OVERLAY_SLOTS * BLK_CHUNK;
  l->ram_bytes = ram_bytes;
  log_begin("images_loaded");
  log_str("vm", c->name);
  log_u64("disk_bytes", c->disk_size);
  log_end();
  return EFI_SUCCESS;
}
