/*
 * D0's read-only ACPI parser: RSDP -> XSDT (or RSDT) -> MADT, FADT, MCFG, into one fixed-size
 * result (no allocation). ACPI 6.5 section numbers are given where a layout is read.
 *
 * The tables are untrusted bytes at physical addresses the firmware chose. The parser never
 * dereferences an address itself: it asks the caller's map callback for [phys, phys + len) and
 * gets NULL when that range is not memory it may read (D0: outside the firmware's memory map;
 * host tests: outside the dumped tables). A table is mapped in two steps, its 36-byte header
 * and then its whole stated length, and every field inside is read through a bounded cursor
 * (d0/cursor.h). Every problem is a typed error (enum acpi_err, acpi_err_name) recorded with the
 * table and the byte offset where it was found; parsing goes on with the other tables.
 *
 * Fallbacks when a table is missing or rejected (acpi_parse fills them in; the log names them):
 * - no usable RSDP or root table: nothing is read; every fallback below applies;
 * - XSDT rejected (or RSDP revision < 2, or XSDT address 0): the RSDT is used instead;
 * - no usable MADT: one CPU, the BSP (its APIC id from the caller: CPUID), cpu_source FALLBACK,
 *   no IOAPIC and no overrides known (the legacy 8259 path stays D0's only interrupt path);
 *   the boot code may then replace that one CPU with the firmware's own list of processors
 *   (acpi_use_firmware_cpus: UEFI PI MP services, cpu_source FIRMWARE), which OVMF has where it
 *   installs no MADT (under Bochs, or QEMU with acpi=off);
 * - no usable FADT: no reset register (reset via the 0xCF9 / keyboard controller paths D0 uses
 *   today) and no PM timer;
 * - no MCFG: no ECAM ranges (PCI configuration through the legacy 0xCF8/0xCFC ports).
 * A table with an error is not used at all (all or nothing), except ACPI_ERR_TOO_MANY: the entries
 * that fit are kept and the error says some were left out.
 */
#ifndef D0_ACPI_H
#define D0_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS 256
#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 24
#define ACPI_MAX_NMIS 16
#define ACPI_MAX_ECAM 8
#define ACPI_MAX_ERRORS 8
/* Longest root table / MADT / FADT / MCFG accepted: far above any real one (a 256-CPU x2APIC
 * MADT is about 4 KiB), and it bounds what a hostile length makes the parser map. */
#define ACPI_TABLE_MAX_LEN 65536u

enum acpi_err {
  ACPI_OK = 0,
  ACPI_ERR_NO_RSDP,          /* no RSDP address given (no EFI configuration table entry) */
  ACPI_ERR_UNMAPPED,         /* [address, address + length) is not readable memory */
  ACPI_ERR_SIGNATURE,        /* the bytes at the address are not the expected table */
  ACPI_ERR_CHECKSUM,         /* the bytes of the table do not sum to 0 */
  ACPI_ERR_XCHECKSUM,        /* RSDP revision >= 2: the extended checksum */
  ACPI_ERR_LENGTH,           /* stated length shorter than the table's fixed part, or too long */
  ACPI_ERR_ROOT_LENGTH,      /* XSDT/RSDT entry area not a whole number of entries */
  ACPI_ERR_ENTRY_LENGTH,     /* a MADT entry length under 2 (0 would never advance) */
  ACPI_ERR_ENTRY_PAST_END,   /* an entry runs past the end of its table */
  ACPI_ERR_ENTRY_SHORT,      /* an entry shorter than its type: it would overlap the next */
  ACPI_ERR_OVERLAP,          /* a table overlaps the RSDP, the root table or another table */
  ACPI_ERR_DUPLICATE_APIC_ID,/* two processor entries with the same APIC id */
  ACPI_ERR_BAD_RANGE,        /* an MCFG range with end bus < start bus */
  ACPI_ERR_TOO_MANY,         /* more entries than the result holds: the first ones are kept */
  ACPI_ERR_COUNT
};

/* The error's name as the log prints it ("checksum", "entry_past_end", ...). */
const char *acpi_err_name(enum acpi_err e);

/* Which table an error was found in. */
enum acpi_table { ACPI_T_RSDP, ACPI_T_XSDT, ACPI_T_RSDT, ACPI_T_MADT, ACPI_T_FADT, ACPI_T_MCFG };
/* "RSDP", "XSDT", "RSDT", "APIC" (the MADT's signature), "FACP", "MCFG". */
const char *acpi_table_name(enum acpi_table t);

struct acpi_error {
  enum acpi_table table;
  enum acpi_err err;
  uint64_t addr;   /* physical address of the table */
  uint32_t offset; /* byte offset in the table where the problem is (0: the table itself) */
};

/* Returns a pointer to the len bytes at physical address phys, or NULL when they may not be read. */
typedef const uint8_t *(*acpi_map_fn)(void *ctx, uint64_t phys, uint32_t len);

struct acpi_mem {
  acpi_map_fn map;
  void *ctx;
};

#define ACPI_CPU_ENABLED 1u        /* MADT flags bit 0 */
#define ACPI_CPU_ONLINE_CAPABLE 2u /* MADT flags bit 1 (ACPI 6.3+): may be brought up later */

struct acpi_cpu {
  uint32_t apic_id; /* xAPIC id (0..254) or x2APIC id */
  uint32_t uid;     /* ACPI processor UID */
  uint32_t flags;   /* ACPI_CPU_* */
  bool x2apic;      /* from a Processor Local x2APIC entry (type 9) */
};

struct acpi_ioapic {
  uint8_t id;
  uint32_t addr;
  uint32_t gsi_base;
};

struct acpi_override { /* Interrupt Source Override (MADT type 2) */
  uint8_t bus, source_irq;
  uint16_t flags; /* MPS INTI flags: polarity bits 0-1, trigger mode bits 2-3 */
  uint32_t gsi;
};

struct acpi_nmi {
  uint8_t kind;   /* 3: NMI source (gsi), 4: local APIC NMI, 10: local x2APIC NMI (uid, lint) */
  uint8_t lint;   /* local APIC LINT# (0/1), kinds 4 and 10 */
  uint16_t flags; /* MPS INTI flags */
  uint32_t uid;   /* processor UID, 0xFF (kind 4) / 0xFFFFFFFF (kind 10) = all; kinds 4, 10 */
  uint32_t gsi;   /* kind 3 */
};

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas {
  uint8_t space; /* 0 system memory, 1 system I/O, ... */
  uint8_t bit_width, bit_offset, access_size;
  uint64_t addr;
};

struct acpi_ecam { /* MCFG allocation (PCI Firmware Specification 3.2, 4.1.2) */
  uint64_t base;
  uint16_t segment;
  uint8_t bus_start, bus_end;
};

enum acpi_cpu_source { ACPI_CPUS_FALLBACK = 0, ACPI_CPUS_MADT, ACPI_CPUS_FIRMWARE };

struct acpi_info {
  /* RSDP */
  bool rsdp_ok;
  uint8_t rsdp_revision;
  enum acpi_table root; /* XSDT or RSDT: the root table used (when root_ok) */
  bool root_ok;

  /* CPUs: from the MADT, or the fallback (one CPU: the BSP). cpus[] holds the processor entries
   * that are enabled or online-capable, in MADT order; entries with neither flag (processors
   * that cannot be used) are only counted in cpu_disabled. An xAPIC entry with id 0xFF or an
   * x2APIC entry with id 0xFFFFFFFF is not a processor and is skipped; an x2APIC entry repeating
   * the id of an xAPIC entry (or the reverse) describes the same CPU and is skipped too. */
  enum acpi_cpu_source cpu_source;
  uint32_t cpu_count, cpu_disabled;
  struct acpi_cpu cpus[ACPI_MAX_CPUS];

  /* MADT (5.2.12); all zero without one */
  bool madt_ok;
  uint64_t lapic_addr; /* the header's address, or the type 5 override */
  uint32_t madt_flags; /* bit 0: PCAT_COMPAT (dual 8259s present) */
  uint32_t ioapic_count, override_count, nmi_count;
  struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
  struct acpi_override overrides[ACPI_MAX_OVERRIDES];
  struct acpi_nmi nmis[ACPI_MAX_NMIS];

  /* FADT (5.2.9) */
  bool fadt_ok;
  uint8_t fadt_revision;
  uint32_t fadt_flags;
  uint16_t iapc_boot_arch;
  bool reset_ok; /* flags.RESET_REG_SUP and a FADT long enough to hold the register */
  struct acpi_gas reset_reg;
  uint8_t reset_value;
  /* PM timer: an I/O port (X_PM_TMR_BLK when it is a system I/O address, else PM_TMR_BLK);
   * 0 when there is none. 24 or 32 bits (flags.TMR_VAL_EXT). */
  uint32_t pm_timer_port;
  uint8_t pm_timer_bits;

  /* MCFG */
  bool mcfg_ok;
  uint32_t ecam_count;
  struct acpi_ecam ecam[ACPI_MAX_ECAM];

  /* Problems, in the order found; error_count may exceed ACPI_MAX_ERRORS (the rest not kept). */
  uint32_t error_count;
  struct acpi_error errors[ACPI_MAX_ERRORS];
};

/*
 * Parses the tables reachable from the RSDP at rsdp_phys (0: none) into *out (fully rewritten).
 * bsp_apic_id is the APIC id of the CPU running this (CPUID), used for the no-MADT fallback.
 * Never fails as a whole: what could not be read is in out->errors and the fallbacks apply.
 */
void acpi_parse(const struct acpi_mem *mem, uint64_t rsdp_phys, uint32_t bsp_apic_id,
                struct acpi_info *out);

/* A processor as the firmware's MP services report it (UEFI PI vol. 2, 13.4
 * EFI_MP_SERVICES_PROTOCOL.GetProcessorInfo): its APIC id (ProcessorId) and StatusFlag. */
#define ACPI_FW_CPU_BSP 1u     /* PROCESSOR_AS_BSP_BIT */
#define ACPI_FW_CPU_ENABLED 2u /* PROCESSOR_ENABLED_BIT */
#define ACPI_FW_CPU_HEALTHY 4u /* PROCESSOR_HEALTH_STATUS_BIT */
struct acpi_fw_cpu {
  uint64_t apic_id;
  uint32_t status;
};

/*
 * Without a usable MADT (cpu_source FALLBACK), takes the firmware's processor list instead of
 * the BSP alone: each processor enabled and healthy is ACPI_CPU_ENABLED, others are counted in
 * cpu_disabled. The list is untrusted like a table: it is used only when it holds bsp_apic_id
 * flagged as the BSP and enabled, no id above 0xFFFFFFFE, no id twice; else (or with a MADT)
 * nothing changes and false is returned. More than ACPI_MAX_CPUS: the first are kept and
 * ACPI_ERR_TOO_MANY is noted (table MADT, the source it stands in for).
 */
bool acpi_use_firmware_cpus(struct acpi_info *info, const struct acpi_fw_cpu *cpus, uint32_t n,
                            uint32_t bsp_apic_id);

/* Number of CPUs flagged enabled (the ones running now). */
uint32_t acpi_enabled_cpus(const struct acpi_info *info);

/*
 * Logs the result: one ev=acpi_error per recorded error (table=, error=, addr=, offset=), then
 * one ev=cpus (count= enabled CPUs, apic_ids=, source=madt|firmware|fallback, and the IOAPICs, the
 * reset register, the PM timer and the ECAM ranges when known). kernel/docs/acpi-and-cpus.md,
 * "ACPI".
 */
void acpi_log(const struct acpi_info *info);

#endif /* D0_ACPI_H */
