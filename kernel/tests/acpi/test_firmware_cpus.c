/*
 * acpi_use_firmware_cpus: the firmware's MP-services list in place of the no-MADT fallback,
 * used only when it is consistent, never over a MADT; and the ev=cpus line it makes.
 */
#include <string.h>

#include "check.h"
#include "log/log.h"
#include "log/tests/capture.h"
#include "tests.h"

#define B (ACPI_FW_CPU_BSP | ACPI_FW_CPU_ENABLED | ACPI_FW_CPU_HEALTHY)
#define AP (ACPI_FW_CPU_ENABLED | ACPI_FW_CPU_HEALTHY)

/* The no-MADT result: no tables at all, the BSP alone. */
static struct acpi_info *fallback(void) {
  static struct acpi_info info;
  struct sim_mem m = {0};
  struct acpi_mem mem = sim_acpi_mem(&m);
  acpi_parse(&mem, 0, BSP_ID, &info);
  CHECK(info.cpu_source == ACPI_CPUS_FALLBACK && info.cpu_count == 1);
  return &info;
}

static void used_without_madt(void) {
  struct acpi_info *info = fallback();
  const struct acpi_fw_cpu two[] = {{BSP_ID, B}, {1, AP}, {300, AP}, {2, ACPI_FW_CPU_HEALTHY}};
  CHECK(acpi_use_firmware_cpus(info, two, 4, BSP_ID));
  CHECK_EQ(info->cpu_source, ACPI_CPUS_FIRMWARE);
  CHECK_EQ(info->cpu_count, 3);
  CHECK_EQ(info->cpu_disabled, 1); /* not enabled: counted, never started */
  CHECK_EQ(acpi_enabled_cpus(info), 3);
  CHECK(info->cpus[0].apic_id == BSP_ID && info->cpus[1].apic_id == 1 && info->cpus[2].apic_id == 300);
  CHECK(!info->cpus[1].x2apic && info->cpus[2].x2apic);
  capture_take();
  acpi_log(info);
  const char *out = capture_take();
  CHECK_MSG(strstr(out, "ev=cpus count=3 apic_ids=7,1,300 disabled=1 source=firmware root=none") != NULL,
            "%s", out);
  /* Applied once: the list is no longer the fallback, so a second list changes nothing. */
  const struct acpi_fw_cpu one[] = {{BSP_ID, B}};
  CHECK(!acpi_use_firmware_cpus(info, one, 1, BSP_ID));
  CHECK_EQ(info->cpu_count, 3);
}

static void refused_lists(void) {
  const struct {
    const char *what;
    struct acpi_fw_cpu cpus[3];
    uint32_t n;
  } bad[] = {
      {"no BSP", {{1, AP}, {2, AP}}, 2},
      {"the BSP is another CPU", {{3, B}, {BSP_ID, AP}}, 2},
      {"two BSPs", {{BSP_ID, B}, {1, B}}, 2},
      {"the BSP not enabled", {{BSP_ID, ACPI_FW_CPU_BSP | ACPI_FW_CPU_HEALTHY}, {1, AP}}, 2},
      {"an id twice", {{BSP_ID, B}, {1, AP}, {1, AP}}, 3},
      {"an id no APIC has", {{BSP_ID, B}, {0xFFFFFFFFull, AP}}, 2},
      {"an id past 32 bits", {{BSP_ID, B}, {0x100000001ull, AP}}, 2},
      {"an empty list", {{0, 0}}, 0},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct acpi_info *info = fallback();
    CHECK_MSG(!acpi_use_firmware_cpus(info, bad[i].cpus, bad[i].n, BSP_ID), "%s", bad[i].what);
    CHECK_MSG(info->cpu_source == ACPI_CPUS_FALLBACK && info->cpu_count == 1 &&
                  info->cpus[0].apic_id == BSP_ID,
              "%s", bad[i].what);
  }
  CHECK(!acpi_use_firmware_cpus(fallback(), NULL, 2, BSP_ID));
}

/* A MADT's list is never replaced. */
static void never_over_a_madt(void) {
  struct sim_mem m = {0};
  load(&m, "q35-smp4");
  const struct acpi_info *parsed = parse(&m);
  static struct acpi_info info;
  info = *parsed;
  sim_free(&m);
  CHECK_EQ(info.cpu_source, ACPI_CPUS_MADT);
  uint32_t before = info.cpu_count;
  const struct acpi_fw_cpu cpus[] = {{0, B}, {1, AP}, {9, AP}};
  CHECK(!acpi_use_firmware_cpus(&info, cpus, 3, 0));
  CHECK(info.cpu_source == ACPI_CPUS_MADT && info.cpu_count == before);
}

/* More processors than the result holds: the first ACPI_MAX_CPUS enabled ones, and the error. */
static void too_many(void) {
  static struct acpi_fw_cpu cpus[ACPI_MAX_CPUS + 4];
  for (uint32_t i = 0; i < ACPI_MAX_CPUS + 4; i++)
    cpus[i] = (struct acpi_fw_cpu){i == 0 ? BSP_ID : 1000 + i, i == 0 ? B : AP};
  struct acpi_info *info = fallback();
  CHECK(acpi_use_firmware_cpus(info, cpus, ACPI_MAX_CPUS + 4, BSP_ID));
  CHECK_EQ(info->cpu_count, ACPI_MAX_CPUS);
  CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_TOO_MANY));
}

void test_firmware_cpus_all(void) {
  used_without_madt();
  refused_lists();
  never_over_a_madt();
  too_many();
}
