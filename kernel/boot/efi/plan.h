/*
 * The launch plan of a verified manifest: one ev=launch_plan line per container, in launch order
 * (ascending boot_order; the manifest's name order breaks ties), then ev=ready_to_launch.
 */
#ifndef D0_BOOT_EFI_PLAN_H
#define D0_BOOT_EFI_PLAN_H

#include "d0/manifest.h"

void plan_log(const struct d0_manifest *m);

#endif
