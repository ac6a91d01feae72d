/*
 * The FADT (ACPI 6.5, 5.2.9): the reset register, the PM timer block and the flags. Only fields
 * inside the table's stated length are read: the ACPI 1.0 FADT (116 bytes, the minimum accepted)
 * has no reset register, and X_PM_TMR_BLK exists from 220 bytes on.
 */
#include "acpi/internal.h"
#include "d0/cursor.h"

#define PM_TMR_BLK 76
#define PM_TMR_LEN 91
#define IAPC_BOOT_ARCH 109
#define FLAGS 112
#define RESET_REG 116
#define RESET_VALUE 128
#define X_PM_TMR_BLK 208
#define GAS_LEN 12

#define FLAG_TMR_VAL_EXT (1u << 8)
#define FLAG_RESET_REG_SUP (1u << 10)
#define SPACE_IO 1

/* A cursor at byte off of the table, or false when off is past it. */
static bool at(const uint8_t *t, uint32_t len, uint32_t off, struct d0_cursor *c) {
  *c = d0_cursor_init(t, len);
  return d0_cursor_skip(c, off);
}

static bool u8_at(const uint8_t *t, uint32_t len, uint32_t off, uint8_t *v) {
  struct d0_cursor c;
  return at(t, len, off, &c) && d0_cursor_read_u8(&c, v);
}

static bool u16_at(const uint8_t *t, uint32_t len, uint32_t off, uint16_t *v) {
  struct d0_cursor c;
  return at(t, len, off, &c) && d0_cursor_read_u16le(&c, v);
}

static bool u32_at(const uint8_t *t, uint32_t len, uint32_t off, uint32_t *v) {
  struct d0_cursor c;
  return at(t, len, off, &c) && d0_cursor_read_u32le(&c, v);
}

/* A Generic Address Structure at off (5.2.3.2), when the table holds all 12 bytes. */
static bool gas_at(const uint8_t *t, uint32_t len, uint32_t off, struct acpi_gas *g) {
  struct d0_cursor c;
  if (!at(t, len, off, &c) || d0_cursor_remaining(&c) < GAS_LEN)
    return false;
  d0_cursor_read_u8(&c, &g->space), d0_cursor_read_u8(&c, &g->bit_width);
  d0_cursor_read_u8(&c, &g->bit_offset), d0_cursor_read_u8(&c, &g->access_size);
  return d0_cursor_read_u64le(&c, &g->addr);
}

bool acpi_parse_fadt(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out) {
  uint32_t pm_blk = 0;
  uint8_t pm_len = 0;
  if (!u32_at(t, len, PM_TMR_BLK, &pm_blk) || !u8_at(t, len, PM_TMR_LEN, &pm_len) ||
      !u16_at(t, len, IAPC_BOOT_ARCH, &out->iapc_boot_arch) ||
      !u32_at(t, len, FLAGS, &out->fadt_flags)) {
    acpi_note(out, ACPI_T_FADT, ACPI_ERR_LENGTH, addr, 4); /* the caller checks 116 already */
    return false;
  }
  out->fadt_revision = t[8];

  /* The reset register: only when the firmware says it is supported and the table holds it. */
  struct acpi_gas reset;
  uint8_t value;
  if ((out->fadt_flags & FLAG_RESET_REG_SUP) && gas_at(t, len, RESET_REG, &reset) &&
      u8_at(t, len, RESET_VALUE, &value) && reset.addr != 0) {
    out->reset_ok = true;
    out->reset_reg = reset;
    out->reset_value = value;
  }

  /* The PM timer: X_PM_TMR_BLK when it is a non-zero I/O address, else PM_TMR_BLK (4 bytes
   * long). A port above 0xFFFF is not an I/O port: no timer. */
  struct acpi_gas x;
  uint64_t port = 0;
  if (gas_at(t, len, X_PM_TMR_BLK, &x) && x.space == SPACE_IO && x.addr != 0)
    port = x.addr;
  else if (pm_len == 4)
    port = pm_blk;
  if (port != 0 && port <= 0xFFFF) {
    out->pm_timer_port = (uint32_t)port;
    out->pm_timer_bits = (out->fadt_flags & FLAG_TMR_VAL_EXT) ? 32 : 24;
  }
  return true;
}
