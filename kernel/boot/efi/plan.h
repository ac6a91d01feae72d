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

/* The first container (in launch order) whose vcpu exceeds max (x86_vcpus_max(): the backend's
 * vCPUs per VM, arch/x86/cpu.h), logged as ev=vcpu_plan container= vcpu= max=; NULL when every
 * container fits. Such a build is refused before anything is allocated, never run on fewer CPUs
 * than it asked for (proto/SEMANTICS.md "vCPUs"). */
const struct d0_container *plan_vcpu_refused(const struct d0_manifest *m, uint32_t max);

#endif
