/*
 * libFuzzer target of D0's ACPI parser (kernel/acpi) and its log writer. The first input byte
 * picks how the rest becomes physical memory:
 * - even: raw. The rest is memory at 0x1000 and the RSDP is at 0x1000, checksums as they come:
 *   the RSDP, root table and generic table checks.
 * - odd: structured. {u16 madt, u16 fadt} body lengths, then the MADT, FADT and MCFG bodies; each
 *   gets a header with a correct checksum (and, when bit 1 is set, the body's first 4 bytes as
 *   its stated length), behind a valid RSDP and XSDT: the per-table parsers themselves.
 * Every table is its own heap buffer of exactly its size (an overread is an ASan report).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"
#include "log/log.h"
#include "mem.h"

void log_sink_write(const char *s, size_t n) {
  (void)s;
  (void)n;
}

static void table(struct sim_mem *m, uint64_t at, const char *sig, const uint8_t *body,
                  size_t n, int lie) {
  uint8_t *t = calloc(1, 36 + n);
  memcpy(t, sig, 4);
  memcpy(t + 36, body, n);
  sim_put32(t + 4, lie && n >= 4 ? sim_le32(body) : (uint32_t)(36 + n));
  sim_add_first(m, at, t, (uint32_t)(36 + n), sig);
  sim_fix_checksum(&m->r[0]);
  free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct acpi_info info;
  struct sim_mem m = {0};
  if (size < 1 || size > 65536)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  if (!(mode & 1)) {
    sim_add_first(&m, 0x1000, data, (uint32_t)size, "MEM");
  } else {
    if (size < 4)
      return 0;
    size_t ml = (size_t)(data[0] | data[1] << 8), fl = (size_t)(data[2] | data[3] << 8);
    data += 4, size -= 4;
    if (ml > size)
      ml = size;
    if (fl > size - ml)
      fl = size - ml;
    table(&m, 0x10000, "APIC", data, ml, mode & 2);
    table(&m, 0x20000, "FACP", data + ml, fl, mode & 2);
    table(&m, 0x30000, "MCFG", data + ml + fl, size - ml - fl, mode & 2);
    uint8_t xsdt[36 + 24] = "XSDT";
    sim_put32(xsdt + 4, sizeof xsdt);
    sim_put64(xsdt + 36, 0x10000), sim_put64(xsdt + 44, 0x20000), sim_put64(xsdt + 52, 0x30000);
    sim_add_first(&m, 0x2000, xsdt, sizeof xsdt, "XSDT");
    sim_fix_checksum(&m.r[0]);
    uint8_t rsdp[36] = "RSD PTR ";
    rsdp[15] = 2;
    sim_put32(rsdp + 20, 36);
    sim_put64(rsdp + 24, 0x2000);
    sim_add_first(&m, 0x1000, rsdp, sizeof rsdp, "RSDP");
    sim_fix_checksum(&m.r[0]);
  }
  struct acpi_mem mem = sim_acpi_mem(&m);
  acpi_parse(&mem, 0x1000, 0, &info);
  if (info.cpu_count < 1 || info.cpu_count > ACPI_MAX_CPUS || info.ioapic_count > ACPI_MAX_IOAPICS ||
      info.ecam_count > ACPI_MAX_ECAM)
    abort(); /* the result's invariants */
  acpi_log(&info);
  sim_free(&m);
  return 0;
}
