/*
 * Synthetic MADTs behind a synthetic RSDP and XSDT, for what QEMU's tables never show: x2APIC
 * entries, online-capable and disabled processors, the same CPU listed as xAPIC and x2APIC, the
 * local APIC address override, unknown entry types, more CPUs than the result holds (and the log
 * line they make).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log/log.h"
#include "log/tests/capture.h"
#include "tests.h"

#define RSDP_AT 0x1000
#define XSDT_AT 0x2000
#define MADT_AT 0x3000
#define MADT_MAX 8192

struct madt {
  uint8_t b[MADT_MAX];
  uint32_t len;
};

static void madt_init(struct madt *t) {
  memset(t, 0, sizeof *t);
  memcpy(t->b, "APIC", 4);
  t->b[8] = 5;
  sim_put32(t->b + 36, 0xfee00000);
  t->len = 44;
}

static void put(struct madt *t, const uint8_t *e, uint8_t len) {
  memcpy(t->b + t->len, e, len);
  t->len += len;
}

static void lapic(struct madt *t, uint8_t uid, uint8_t id, uint32_t flags) {
  uint8_t e[8] = {0, 8, uid, id};
  sim_put32(e + 4, flags);
  put(t, e, 8);
}

static void x2apic(struct madt *t, uint32_t id, uint32_t flags, uint32_t uid) {
  uint8_t e[16] = {9, 16};
  sim_put32(e + 4, id), sim_put32(e + 8, flags), sim_put32(e + 12, uid);
  put(t, e, 16);
}

/* Parses the MADT behind a valid v2 RSDP and an XSDT listing only it. */
static const struct acpi_info *parse_madt(struct madt *t) {
  struct sim_mem m = {0};
  uint8_t rsdp[36] = "RSD PTR ";
  rsdp[15] = 2;
  sim_put32(rsdp + 20, 36);
  sim_put64(rsdp + 24, XSDT_AT);
  uint8_t xsdt[44] = "XSDT";
  sim_put32(xsdt + 4, 44);
  sim_put64(xsdt + 36, MADT_AT);
  sim_put32(t->b + 4, t->len);
  sim_add_first(&m, MADT_AT, t->b, t->len, "APIC");
  sim_add_first(&m, XSDT_AT, xsdt, sizeof xsdt, "XSDT");
  sim_add_first(&m, RSDP_AT, rsdp, sizeof rsdp, "RSDP");
  for (uint32_t i = 0; i < m.n; i++)
    sim_fix_checksum(&m.r[i]);
  const struct acpi_info *info = parse(&m);
  sim_free(&m);
  return info;
}

static void flags_and_kinds(void) {
  struct madt t;
  madt_init(&t);
  lapic(&t, 0, 0, 1);
  lapic(&t, 1, 2, 2);        /* online-capable: kept, not counted as running */
  lapic(&t, 2, 4, 0);        /* neither flag: counted as disabled only */
  lapic(&t, 3, 0xff, 1);     /* id 0xFF: not a processor */
  x2apic(&t, 0, 1, 0);       /* the same CPU as the first entry: skipped */
  x2apic(&t, 300, 1, 300);   /* an x2APIC-only id */
  x2apic(&t, 0xffffffffu, 1, 9);
  uint8_t unknown[7] = {0x7f, 7, 1, 2, 3, 4, 5};
  put(&t, unknown, 7);       /* unknown type: skipped by its length */
  uint8_t addr[12] = {5, 12};
  sim_put64(addr + 4, 0xfed00000ull);
  put(&t, addr, 12);         /* the 64-bit local APIC address override */
  uint8_t longer[10] = {0, 10, 4, 6};
  sim_put32(longer + 4, 1);
  put(&t, longer, 10);       /* a longer processor entry (later revisions may append) */
  const struct acpi_info *info = parse_madt(&t);
  CHECK_EQ(info->error_count, 0);
  CHECK_EQ(info->cpu_source, ACPI_CPUS_MADT);
  CHECK_EQ(info->cpu_count, 4);
  CHECK_EQ(acpi_enabled_cpus(info), 3);
  CHECK_EQ(info->cpu_disabled, 1);
  CHECK_EQ(info->cpus[1].apic_id, 2);
  CHECK_EQ(info->cpus[1].flags, ACPI_CPU_ONLINE_CAPABLE);
  CHECK_EQ(info->cpus[2].apic_id, 300);
  CHECK(info->cpus[2].x2apic);
  CHECK_EQ(info->cpus[2].uid, 300);
  CHECK_EQ(info->cpus[3].apic_id, 6);
  CHECK_EQ(info->lapic_addr, 0xfed00000ull);
  capture_take();
  acpi_log(info);
  const char *out = capture_take();
  CHECK_MSG(strstr(out, "ev=cpus count=3 apic_ids=0,300,6 online_capable=1 disabled=1 "
                        "source=madt root=xsdt lapic=0xfed00000 ioapic=none") != NULL,
            "%s", out);

  /* Two x2APIC entries with one id: rejected. */
  madt_init(&t);
  x2apic(&t, 5, 1, 0);
  x2apic(&t, 5, 1, 1);
  info = parse_madt(&t);
  CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_DUPLICATE_APIC_ID));
  CHECK_EQ(info->errors[0].offset, 60);
  CHECK(info->cpu_source == ACPI_CPUS_FALLBACK && info->cpus[0].apic_id == BSP_ID);

  /* A MADT with no usable processor: the BSP fallback, the rest of the MADT kept. */
  madt_init(&t);
  lapic(&t, 0, 0, 0);
  uint8_t io[12] = {1, 12, 3, 0};
  sim_put32(io + 4, 0xfec00000), sim_put32(io + 8, 24);
  put(&t, io, 12);
  info = parse_madt(&t);
  CHECK(info->madt_ok && info->cpu_source == ACPI_CPUS_FALLBACK && info->cpu_count == 1);
  CHECK(info->ioapic_count == 1 && info->ioapics[0].id == 3 && info->ioapics[0].gsi_base == 24);
}

/* More processors than ACPI_MAX_CPUS: the first are kept, the error says so, the line fits. */
static void too_many(void) {
  struct madt *t = malloc(sizeof *t);
  madt_init(t);
  for (uint32_t i = 0; i < ACPI_MAX_CPUS + 44; i++)
    x2apic(t, 1000 + i, 1, i);
  for (uint32_t i = 0; i < ACPI_MAX_IOAPICS + 1; i++) {
    uint8_t io[12] = {1, 12, (uint8_t)i, 0};
    sim_put32(io + 4, 0xfec00000 + 0x1000 * i);
    put(t, io, 12);
  }
  const struct acpi_info *info = parse_madt(t);
  CHECK(info->madt_ok);
  CHECK_EQ(info->cpu_count, ACPI_MAX_CPUS);
  CHECK_EQ(info->cpus[ACPI_MAX_CPUS - 1].apic_id, 1000 + ACPI_MAX_CPUS - 1);
  CHECK_EQ(info->ioapic_count, ACPI_MAX_IOAPICS);
  CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_TOO_MANY));
  CHECK_EQ(info->error_count, 1); /* noted once per table */
  capture_take();
  acpi_log(info);
  const char *out = capture_take();
  CHECK_MSG(strstr(out, "ev=acpi_error table=APIC error=too_many") != NULL, "%s", out);
  const char *cpus = strstr(out, "ev=cpus count=256 apic_ids=1000,1001,");
  CHECK_MSG(cpus != NULL, "%s", out);
  if (cpus != NULL) {
    const char *nl = strchr(cpus, '\n');
    CHECK(nl != NULL && strstr(cpus, "apic_ids_more=") != NULL && strstr(cpus, "ioapic_more=") &&
          strstr(cpus, "trunc=1") == NULL);
    CHECK(nl != NULL && nl - cpus < LOG_LINE_MAX);
  }
  free(t);
}

void test_synthetic_all(void) {
  flags_and_kinds();
  too_many();
}
