/*
 * Simulated physical memory for the ACPI parser's host tests: a list of regions, each a heap
 * buffer of exactly its size at a physical address. acpi_mem's map callback returns a pointer
 * only when [phys, phys + len) lies inside one region (the first that holds it, in the order
 * added), so a read past what the "firmware" put there is NULL for the parser and, if the parser
 * ignored that, an ASan report.
 */
#ifndef D0_TESTS_ACPI_MEM_H
#define D0_TESTS_ACPI_MEM_H

#include <stdint.h>

#include "acpi/acpi.h"

#define SIM_MAX_REGIONS 32

struct sim_region {
  uint64_t phys;
  uint32_t len;
  uint8_t *bytes;
  char sig[5]; /* the file's table name (RSDP, XSDT, APIC, ...) */
};

struct sim_mem {
  uint32_t n;
  struct sim_region r[SIM_MAX_REGIONS];
};

/* Loads every <16 hex digits>-<SIG>.bin file of dir; exits the test on an I/O error. */
void sim_load_dir(struct sim_mem *m, const char *dir);
/* A copy of m (every buffer duplicated), to edit. */
void sim_copy(struct sim_mem *dst, const struct sim_mem *src);
void sim_free(struct sim_mem *m);
/* The region holding table sig (NULL if none). */
struct sim_region *sim_find(struct sim_mem *m, const char *sig);
/* Adds a region (copies bytes) in front of the others, so it wins where they overlap. */
void sim_add_first(struct sim_mem *m, uint64_t phys, const uint8_t *bytes, uint32_t len,
                   const char *sig);
/* Shrinks a region to len bytes (a fresh buffer of exactly len, for ASan). */
void sim_truncate(struct sim_region *r, uint32_t len);
/* Rewrites the checksum byte of a table (offset 9; the RSDP: 8 over 20 bytes and 32 over all). */
void sim_fix_checksum(struct sim_region *r);

struct acpi_mem sim_acpi_mem(struct sim_mem *m);

/* Little-endian helpers. */
uint32_t sim_le32(const uint8_t *p);
void sim_put32(uint8_t *p, uint32_t v);
void sim_put64(uint8_t *p, uint64_t v);

#endif
