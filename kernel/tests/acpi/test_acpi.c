/*
 * Host tests of D0's ACPI parser (kernel/acpi) under ASan+UBSan: the tables QEMU + OVMF really
 * give (test/vectors/acpi, scripts/dump-acpi-tables.ts), hostile variants made from them
 * (test_hostile.c) and synthetic MADTs (test_synthetic.c). Every table sits in a heap buffer of
 * exactly its size (mem.h), so a read past it is a sanitizer report.
 *   acpi_tests <test/vectors/acpi>     prints "acpi: N checks, F failed"
 */
#include <stdio.h>

#include "check.h"
#include "tests.h"

const char *vectors_dir;

const struct acpi_info *parse(struct sim_mem *m) {
  static struct acpi_info info;
  struct acpi_mem mem = sim_acpi_mem(m);
  struct sim_region *rsdp = sim_find(m, "RSDP");
  acpi_parse(&mem, rsdp ? rsdp->phys : 0, BSP_ID, &info);
  return &info;
}

bool has_error(const struct acpi_info *info, enum acpi_table t, enum acpi_err err) {
  for (uint32_t i = 0; i < info->error_count && i < ACPI_MAX_ERRORS; i++)
    if (info->errors[i].table == t && (err == ACPI_OK || info->errors[i].err == err))
      return true;
  return false;
}

void load(struct sim_mem *m, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", vectors_dir, name);
  sim_load_dir(m, path);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s test/vectors/acpi\n", argv[0]);
    return 2;
  }
  vectors_dir = argv[1];
  RUN(test_real_all);
  RUN(test_hostile_all);
  RUN(test_synthetic_all);
  RUN(test_firmware_cpus_all);
  return check_exit("acpi");
}
