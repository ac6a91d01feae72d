#include "launch.h"

#include "arch/x86/cpu.h"
#include "arch/x86/pages.h"
#include "arch/x86/spec.h"
#include "arch/x86/xstate.h"
#include "efi_mem.h"
#include "launch_events.h"
#include "launch_fail.h"
#include "load.h"
#include "log/log.h"
#include "net.h"
#include "plan.h"
#include "takeover.h"
#include "uplink.h"
#include "vm_build.h"
#include "vms.h"

#define MIB (1024ull * 1024ull)
/* Pages for D0's own page tables, then per VM its VMCB/VMCS, permission maps and nested tables
 * (a 64 GiB VM needs ~40 with 2 MiB pages; a small one ~10). */
#define ARCH_POOL_BASE_PAGES 128u
#define ARCH_POOL_PAGES_PER_VM 48u
/* And per AP of a guest (each vCPU beyond a VM's first): its VMCB/VMCS and XSAVE area, taken
 * when its SIPI starts it. */
#define ARCH_POOL_PAGES_PER_AP 4u

static uint32_t arch_pool_pages(const struct d0_manifest *m)
{
  uint32_t pages = ARCH_POOL_BASE_PAGES + ARCH_POOL_PAGES_PER_VM * m->n_containers;
  for (uint32_t i = 0; i < m->n_containers; i++)
    pages += ARCH_POOL_PAGES_PER_AP * (m->containers[i].vcpu - 1); /* vcpu >= 1: the decoder's */
  return pages;
}

/* Big state lives in .bss: UEFI stack frames stay under 4 KiB. */
static struct launched_vm vms[TLV_MAX_CONTAINERS];
static uint32_t n_prepared; /* vms[0..n_prepared) are built: hv_event_sink finds them by name */

EFI_STATUS d0_launch(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct esp *esp,
                     const struct d0_manifest *m, const struct verified_files *files)
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
    return launch_fail("no_virtualization", probe.reason, EFI_UNSUPPORTED);
  x86_spec_probe(probe.backend == X86_BACKEND_VMX); /* ev=spec: the mitigations chosen */

  const struct d0_container *too_wide = plan_vcpu_refused(m, x86_vcpus_max());
  if (too_wide != NULL)
    return launch_fail("vcpu_unsupported", too_wide->name, EFI_UNSUPPORTED);

  /* Needed vs available before allocating anything more: a host too small for the build is
   * refused with both numbers, rather than by whichever allocation happens to fail first. The
   * files stage 1 holds are part of the need, so their pages count as available. */
  uint64_t need = vm_build_bytes(m), avail = efi_free_bytes(bs);
  if (avail != 0)
    avail += files->bytes;
  log_begin("memory_plan");
  log_u64("needed_mib", (need + MIB - 1) / MIB);
  log_u64("available_mib", avail / MIB);
  log_end();
  if (avail != 0 && need > avail)
    return launch_fail("out_of_memory", "memory_plan", EFI_OUT_OF_RESOURCES);

  uint8_t *kernel;
  EFI_STATUS s = load_verified(bs, esp, m->kernel_path, m->kernel_size, m->kernel_sha256,
                               files->kernel, &kernel);
  if (EFI_ERROR(s))
    return s;
  uint32_t n = m->n_containers, order[TLV_MAX_CONTAINERS];
  uint32_t pool_pages = arch_pool_pages(m);
  void *pool = efi_alloc_pages(bs, (uint64_t)pool_pages * EFI_PAGE_BYTES);
  if (pool == NULL)
    return launch_fail("out_of_memory", "arch_pages", EFI_OUT_OF_RESOURCES);
  x86_pages_init(pool, pool_pages);
  vm_build_begin(st);
  launch_order(m, order);
  launch_events_track(vms, &n_prepared);
  /* Every VM is prepared before the firmware goes: one that cannot be (a digest mismatch, no
   * memory, a kernel D0 cannot load) fails the whole boot with nothing launched. */
  for (uint32_t i = 0; i < n; i++) {
    s = vm_build_prepare(bs, esp, m, kernel, &m->containers[order[i]], files->disk[order[i]],
                         &vms[i]);
    if (EFI_ERROR(s))
      return s;
    n_prepared = i + 1;
  }
  /* The router's table: each container's bridge port, published ports and egress policy. */
  struct bridge_port *ports[TLV_MAX_CONTAINERS];
  const struct d0_container *containers[TLV_MAX_CONTAINERS];
  for (uint32_t i = 0; i < n; i++) {
    ports[i] = vms[i].port;
    containers[i] = &m->containers[order[i]];
  }
  if (!net_prepare(m, ports, containers, n))
    return EFI_LOAD_ERROR;
  log_begin("vms_prepared");
  log_u64("vms", n);
  log_u64("kernel_bytes", m->kernel_size);
  log_end();
  uplink_prepare(bs, m); /* no uplink, or none found: logged, and the VMs run regardless */
  return takeover_run(image, bs, vms, n, probe.backend);
}
