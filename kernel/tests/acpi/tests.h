/* The ACPI host test program's parts (test_real.c, test_hostile.c) and what they share. */
#ifndef D0_TESTS_ACPI_TESTS_H
#define D0_TESTS_ACPI_TESTS_H

#include <stdbool.h>

#include "acpi/acpi.h"
#include "mem.h"

#define BSP_ID 7 /* the fallback's APIC id: one no QEMU MADT uses, so a fallback is visible */

/* The vectors directory (argv[1]). */
extern const char *vectors_dir;

/* Parses m into a static result (valid until the next call). */
const struct acpi_info *parse(struct sim_mem *m);
/* true when info holds an error of table t (and err, unless err is ACPI_OK). */
bool has_error(const struct acpi_info *info, enum acpi_table t, enum acpi_err err);
/* Loads vectors_dir/<name>. */
void load(struct sim_mem *m, const char *name);

void test_real_all(void);
void test_hostile_all(void);
void test_synthetic_all(void);
void test_firmware_cpus_all(void);

#endif
