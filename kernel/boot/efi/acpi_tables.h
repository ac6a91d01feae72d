/*
 * The host's ACPI tables at boot (kernel/acpi): found through the EFI configuration table, read
 * while the firmware's memory map still says what memory exists, and logged.
 */
#ifndef D0_BOOT_EFI_ACPI_TABLES_H
#define D0_BOOT_EFI_ACPI_TABLES_H

#include "acpi/acpi.h"
#include "efi/efi_system.h"

/*
 * Finds the RSDP (the ACPI 2.0 GUID's entry, else the ACPI 1.0 one), parses the tables into a
 * static result and logs it (acpi_log: ev=acpi_error per problem, then ev=cpus). Never fails the
 * boot: missing or broken tables give the fallbacks of acpi.h. Call before ExitBootServices.
 * Returns the result (valid for the rest of D0's life).
 */
const struct acpi_info *acpi_tables_read(EFI_SYSTEM_TABLE *st);

/* The result of acpi_tables_read (all zero before it ran): for the CPU bring-up after
 * ExitBootServices (takeover.c), which no longer has the firmware to ask. */
const struct acpi_info *acpi_tables_info(void);

#endif
