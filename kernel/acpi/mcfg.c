/*
 * The MCFG (PCI Firmware Specification 3.2, 4.1.2): after the header and 8 reserved bytes, a
 * list of 16-byte ECAM allocations {base u64, segment u16, start bus u8, end bus u8, 4 reserved}.
 */
#include "acpi/internal.h"
#include "d0/cursor.h"

#define MCFG_ENTRIES 44u
#define ECAM_ENTRY_LEN 16u

bool acpi_parse_mcfg(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out) {
  struct d0_cursor c = d0_cursor_init(t, len);
  if (!d0_cursor_skip(&c, MCFG_ENTRIES)) {
    acpi_note(out, ACPI_T_MCFG, ACPI_ERR_LENGTH, addr, 4); /* the caller checks 44 already */
    return false;
  }
  for (uint32_t off = MCFG_ENTRIES; !d0_cursor_empty(&c); off += ECAM_ENTRY_LEN) {
    struct d0_cursor e;
    if (!d0_cursor_sub(&c, ECAM_ENTRY_LEN, &e)) {
      acpi_note(out, ACPI_T_MCFG, ACPI_ERR_ENTRY_PAST_END, addr, off);
      return false;
    }
    struct acpi_ecam r = {0, 0, 0, 0};
    d0_cursor_read_u64le(&e, &r.base), d0_cursor_read_u16le(&e, &r.segment);
    d0_cursor_read_u8(&e, &r.bus_start), d0_cursor_read_u8(&e, &r.bus_end);
    if (r.bus_end < r.bus_start) {
      acpi_note(out, ACPI_T_MCFG, ACPI_ERR_BAD_RANGE, addr, off);
      return false;
    }
    if (out->ecam_count == ACPI_MAX_ECAM) {
      acpi_note(out, ACPI_T_MCFG, ACPI_ERR_TOO_MANY, addr, off);
      break;
    }
    out->ecam[out->ecam_count++] = r;
  }
  return true;
}
