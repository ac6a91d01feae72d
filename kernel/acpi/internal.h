/*
 * Shared by the parser's files (kernel/acpi: tables, madt, fadt, mcfg), not by its users: recording an error and the
 * per-table parsers, each given a whole table that has passed the generic checks (mapped, length
 * within [its minimum, ACPI_TABLE_MAX_LEN], checksum).
 */
#ifndef D0_ACPI_INTERNAL_H
#define D0_ACPI_INTERNAL_H

#include "acpi/acpi.h"

#define ACPI_HDR_LEN 36u /* the System Description Table Header (5.2.6) */

/* Records an error (the first ACPI_MAX_ERRORS are kept; error_count counts them all). */
void acpi_note(struct acpi_info *out, enum acpi_table t, enum acpi_err e, uint64_t addr,
               uint32_t offset);

/* Each returns true when the table is usable (possibly with ACPI_ERR_TOO_MANY noted), false
 * when it was rejected (the error noted; the fields it fills are then reset by the caller). */
bool acpi_parse_madt(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out);
bool acpi_parse_fadt(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out);
bool acpi_parse_mcfg(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out);

#endif
