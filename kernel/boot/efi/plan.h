/*
 * The launch plan of a verified manifest: one ev=launch_plan line per container, in launch order
 * (ascending boot_order; the manifest's name order breaks ties), then ev=ready_to_launch.
 * launch.c prepares and starts the VMs in the same order (launch_order).
 */
#ifndef D0_BOOT_EFI_PLAN_H
#define D0_BOOT_EFI_PLAN_H

#include <stdint.h>

#include "d0/manifest.h"

/* order[k] = index in m->containers of the k-th container to launch (k < m->n_containers). */
void launch_order(const struct d0_manifest *m, uint32_t order[TLV_MAX_CONTAINERS]);

void plan_log(const struct d0_manifest *m);

/* vCPUs this D0 gives one VM. A container asking for more is refused before anything is
 * allocated (never run on fewer CPUs than it asked for): the same number as
 * core/manifest/vcpu.ts, which refuses such a build when it is planned. proto/SEMANTICS.md "vCPUs". */
#define PLAN_VCPUS_PER_VM_MAX 1u

/* The first container (in launch order) whose vcpu exceeds PLAN_VCPUS_PER_VM_MAX, logged as
 * ev=vcpu_plan container= vcpu= max=; NULL when every container fits. */
const struct d0_container *plan_vcpu_refused(const struct d0_manifest *m);

#endif
