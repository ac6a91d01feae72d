/*
 * The firmware's processor list in place of the no-MADT fallback (acpi.h,
 * acpi_use_firmware_cpus). Checked as a whole before anything is changed: a list that does not
 * hold the CPU running this as an enabled BSP, or that names an id twice or one no APIC has, is
 * not used at all.
 */
#include <stddef.h>

#include "acpi/internal.h"

#define X2APIC_ID_NONE 0xFFFFFFFFull /* not a processor (as in the MADT's x2APIC entries) */

static bool usable(const struct acpi_fw_cpu *cpus, uint32_t n, uint32_t bsp_apic_id) {
  bool bsp_seen = false;
  for (uint32_t i = 0; i < n; i++) {
    if (cpus[i].apic_id >= X2APIC_ID_NONE)
      return false;
    for (uint32_t j = 0; j < i; j++)
      if (cpus[j].apic_id == cpus[i].apic_id)
        return false;
    bool bsp = (cpus[i].status & ACPI_FW_CPU_BSP) != 0;
    if (bsp && (cpus[i].apic_id != bsp_apic_id || !(cpus[i].status & ACPI_FW_CPU_ENABLED)))
      return false; /* the BSP is this CPU, and it runs */
    if (bsp && bsp_seen)
      return false;
    bsp_seen |= bsp;
  }
  return bsp_seen;
}

bool acpi_use_firmware_cpus(struct acpi_info *info, const struct acpi_fw_cpu *cpus, uint32_t n,
                            uint32_t bsp_apic_id) {
  if (info->cpu_source != ACPI_CPUS_FALLBACK || cpus == NULL || !usable(cpus, n, bsp_apic_id))
    return false;
  const uint32_t wanted = ACPI_FW_CPU_ENABLED | ACPI_FW_CPU_HEALTHY;
  info->cpu_source = ACPI_CPUS_FIRMWARE;
  info->cpu_count = info->cpu_disabled = 0;
  for (uint32_t i = 0; i < n; i++) {
    if ((cpus[i].status & wanted) != wanted) {
      info->cpu_disabled++;
      continue;
    }
    if (info->cpu_count == ACPI_MAX_CPUS) {
      acpi_note(info, ACPI_T_MADT, ACPI_ERR_TOO_MANY, 0, i);
      break;
    }
    uint32_t id = (uint32_t)cpus[i].apic_id;
    info->cpus[info->cpu_count++] = (struct acpi_cpu){id, i, ACPI_CPU_ENABLED, id > 0xFE};
  }
  return true;
}
