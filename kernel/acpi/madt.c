/*
 * The MADT (ACPI 6.5, 5.2.12): the local APIC address and flags, then a list of entries, each
 * {type u8, length u8, ...}. Every entry is taken as a sub-cursor of exactly its stated length
 * (at least 2, within the table) and must be at least as long as its type's layout: a shorter one
 * would have its fields read from the next entry (an overlap). Longer entries are accepted (later
 * revisions append fields); unknown types are skipped by their length.
 */
#include "acpi/internal.h"
#include "d0/cursor.h"

enum {
  LAPIC = 0,          /* 5.2.12.2 */
  IOAPIC = 1,         /* 5.2.12.3 */
  OVERRIDE = 2,       /* 5.2.12.5 */
  NMI_SOURCE = 3,     /* 5.2.12.6 */
  LAPIC_NMI = 4,      /* 5.2.12.7 */
  LAPIC_ADDR = 5,     /* 5.2.12.8 */
  X2APIC = 9,         /* 5.2.12.12 */
  X2APIC_NMI = 10,    /* 5.2.12.13 */
};

/* The length of each type's layout (0: not read). */
static uint8_t min_len(uint8_t type) {
  switch (type) {
  case LAPIC: return 8;
  case IOAPIC: return 12;
  case OVERRIDE: return 10;
  case NMI_SOURCE: return 8;
  case LAPIC_NMI: return 6;
  case LAPIC_ADDR: return 12;
  case X2APIC: return 16;
  case X2APIC_NMI: return 12;
  default: return 2;
  }
}

struct madt_walk {
  struct acpi_info *out;
  uint64_t addr;
  uint32_t off; /* of the current entry */
  bool too_many; /* ACPI_ERR_TOO_MANY noted already */
};

static void full(struct madt_walk *w) {
  if (!w->too_many)
    acpi_note(w->out, ACPI_T_MADT, ACPI_ERR_TOO_MANY, w->addr, w->off);
  w->too_many = true;
}

/* Adds a processor entry; false (error noted) on a duplicate APIC id of the same kind. */
static bool add_cpu(struct madt_walk *w, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    bool x2apic) {
  struct acpi_info *out = w->out;
  if (x2apic ? apic_id == 0xFFFFFFFFu : apic_id == 0xFFu)
    return true; /* not a processor */
  flags &= ACPI_CPU_ENABLED | ACPI_CPU_ONLINE_CAPABLE;
  if (flags == 0) {
    out->cpu_disabled++;
    return true;
  }
  for (uint32_t i = 0; i < out->cpu_count; i++) {
    if (out->cpus[i].apic_id != apic_id)
      continue;
    if (out->cpus[i].x2apic != x2apic)
      return true; /* the same CPU listed as xAPIC and x2APIC: keep the first */
    acpi_note(out, ACPI_T_MADT, ACPI_ERR_DUPLICATE_APIC_ID, w->addr, w->off);
    return false;
  }
  if (out->cpu_count == ACPI_MAX_CPUS) {
    full(w);
    return true;
  }
  out->cpus[out->cpu_count++] = (struct acpi_cpu){apic_id, uid, flags, x2apic};
  return true;
}

/* Reads one entry's fields (e: the bytes after type and length; long enough for its type). */
static bool entry(struct madt_walk *w, uint8_t type, struct d0_cursor *e) {
  struct acpi_info *out = w->out;
  uint8_t b0 = 0, b1 = 0;
  uint16_t h = 0;
  uint32_t u0 = 0, u1 = 0, u2 = 0;
  uint64_t q = 0;
  switch (type) {
  case LAPIC:
    d0_cursor_read_u8(e, &b0), d0_cursor_read_u8(e, &b1), d0_cursor_read_u32le(e, &u0);
    return add_cpu(w, b1, b0, u0, false);
  case X2APIC:
    d0_cursor_skip(e, 2), d0_cursor_read_u32le(e, &u0), d0_cursor_read_u32le(e, &u1);
    d0_cursor_read_u32le(e, &u2);
    return add_cpu(w, u0, u2, u1, true);
  case IOAPIC:
    d0_cursor_read_u8(e, &b0), d0_cursor_skip(e, 1), d0_cursor_read_u32le(e, &u0);
    d0_cursor_read_u32le(e, &u1);
    if (out->ioapic_count == ACPI_MAX_IOAPICS)
      full(w);
    else
      out->ioapics[out->ioapic_count++] = (struct acpi_ioapic){b0, u0, u1};
    return true;
  case OVERRIDE:
    d0_cursor_read_u8(e, &b0), d0_cursor_read_u8(e, &b1), d0_cursor_read_u32le(e, &u0);
    d0_cursor_read_u16le(e, &h);
    if (out->override_count == ACPI_MAX_OVERRIDES)
      full(w);
    else
      out->overrides[out->override_count++] = (struct acpi_override){b0, b1, h, u0};
    return true;
  case NMI_SOURCE:
  case LAPIC_NMI:
  case X2APIC_NMI:
    if (type == NMI_SOURCE) {
      d0_cursor_read_u16le(e, &h), d0_cursor_read_u32le(e, &u1);
    } else if (type == LAPIC_NMI) {
      d0_cursor_read_u8(e, &b1), d0_cursor_read_u16le(e, &h), d0_cursor_read_u8(e, &b0);
      u0 = b1;
    } else {
      d0_cursor_read_u16le(e, &h), d0_cursor_read_u32le(e, &u0), d0_cursor_read_u8(e, &b0);
    }
    if (out->nmi_count == ACPI_MAX_NMIS)
      full(w);
    else
      out->nmis[out->nmi_count++] = (struct acpi_nmi){type, b0, h, u0, u1};
    return true;
  case LAPIC_ADDR:
    d0_cursor_skip(e, 2), d0_cursor_read_u64le(e, &q);
    out->lapic_addr = q;
    return true;
  default:
    return true;
  }
}

bool acpi_parse_madt(const uint8_t *t, uint32_t len, uint64_t addr, struct acpi_info *out) {
  struct madt_walk w = {out, addr, ACPI_HDR_LEN, false};
  struct d0_cursor c = d0_cursor_init(t + ACPI_HDR_LEN, len - ACPI_HDR_LEN);
  uint32_t lapic = 0, flags = 0;
  if (!d0_cursor_read_u32le(&c, &lapic) || !d0_cursor_read_u32le(&c, &flags)) {
    acpi_note(out, ACPI_T_MADT, ACPI_ERR_LENGTH, addr, 4); /* the caller checks 44 already */
    return false;
  }
  /* A type 5 entry, if any, replaces the header's 32-bit address. */
  out->lapic_addr = lapic;
  out->madt_flags = flags;
  w.off = ACPI_HDR_LEN + 8;
  while (!d0_cursor_empty(&c)) {
    uint8_t type = 0, elen = 0;
    struct d0_cursor e;
    if (!d0_cursor_read_u8(&c, &type) || !d0_cursor_read_u8(&c, &elen)) {
      acpi_note(out, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END, addr, w.off); /* a 1-byte tail */
      return false;
    }
    if (elen < 2) {
      acpi_note(out, ACPI_T_MADT, ACPI_ERR_ENTRY_LENGTH, addr, w.off);
      return false;
    }
    if (!d0_cursor_sub(&c, elen - 2u, &e)) {
      acpi_note(out, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END, addr, w.off);
      return false;
    }
    if (elen < min_len(type)) {
      acpi_note(out, ACPI_T_MADT, ACPI_ERR_ENTRY_SHORT, addr, w.off);
      return false;
    }
    if (!entry(&w, type, &e))
      return false;
    w.off += elen;
  }
  return true;
}
