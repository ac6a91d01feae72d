/*
 * The walk from the RSDP to the tables D0 reads (acpi.h): the RSDP (5.2.5), the root table
 * (XSDT 5.2.8, RSDT 5.2.7), and for each table the generic checks (mapped, signature, length,
 * checksum, no overlap with a table already read) before its own parser sees it.
 */
#include "acpi/internal.h"
#include "d0/cursor.h"
#include "d0/lib.h"

#define RSDP_V1_LEN 20u
#define RSDP_V2_LEN 36u
#define RSDP_MAX_LEN 1024u    /* the v2 RSDP is 36 bytes; a longer stated length is bounded */
#define MADT_MIN_LEN 44u      /* header + local APIC address + flags */
#define FADT_MIN_LEN 116u     /* the ACPI 1.0 FADT, up to and including Flags */
#define MCFG_MIN_LEN 44u      /* header + 8 reserved bytes */
#define MAX_RANGES 8

static const char *const ERR_NAMES[ACPI_ERR_COUNT] = {
    [ACPI_OK] = "ok",
    [ACPI_ERR_NO_RSDP] = "no_rsdp",
    [ACPI_ERR_UNMAPPED] = "unmapped",
    [ACPI_ERR_SIGNATURE] = "signature",
    [ACPI_ERR_CHECKSUM] = "checksum",
    [ACPI_ERR_XCHECKSUM] = "extended_checksum",
    [ACPI_ERR_LENGTH] = "length",
    [ACPI_ERR_ROOT_LENGTH] = "root_length",
    [ACPI_ERR_ENTRY_LENGTH] = "entry_length",
    [ACPI_ERR_ENTRY_PAST_END] = "entry_past_end",
    [ACPI_ERR_ENTRY_SHORT] = "entry_short",
    [ACPI_ERR_OVERLAP] = "overlap",
    [ACPI_ERR_DUPLICATE_APIC_ID] = "duplicate_apic_id",
    [ACPI_ERR_BAD_RANGE] = "bad_range",
    [ACPI_ERR_TOO_MANY] = "too_many",
};

const char *acpi_err_name(enum acpi_err e) {
  return (unsigned)e < ACPI_ERR_COUNT ? ERR_NAMES[e] : "unknown";
}

static const char TABLE_SIGS[][5] = {
    [ACPI_T_RSDP] = "RSDP", [ACPI_T_XSDT] = "XSDT", [ACPI_T_RSDT] = "RSDT",
    [ACPI_T_MADT] = "APIC", [ACPI_T_FADT] = "FACP", [ACPI_T_MCFG] = "MCFG",
};

const char *acpi_table_name(enum acpi_table t) {
  return (unsigned)t < D0_ARRAY_SIZE(TABLE_SIGS) ? TABLE_SIGS[t] : "????";
}

void acpi_note(struct acpi_info *out, enum acpi_table t, enum acpi_err e, uint64_t addr,
               uint32_t offset) {
  if (out->error_count < ACPI_MAX_ERRORS)
    out->errors[out->error_count] = (struct acpi_error){t, e, addr, offset};
  out->error_count++;
}

/* The physical ranges read so far: a table may not overlap any of them. */
struct ranges {
  uint32_t n;
  uint64_t start[MAX_RANGES], end[MAX_RANGES];
};

static bool overlaps(const struct ranges *r, uint64_t start, uint64_t end) {
  for (uint32_t i = 0; i < r->n; i++)
    if (start < r->end[i] && r->start[i] < end)
      return true;
  return false;
}

static void add_range(struct ranges *r, uint64_t start, uint64_t end) {
  if (r->n < MAX_RANGES)
    r->start[r->n] = start, r->end[r->n] = end, r->n++;
}

static uint8_t sum8(const uint8_t *p, uint32_t n) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; i++)
    s = (uint8_t)(s + p[i]);
  return s;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Maps [addr, addr + len), refusing a range that wraps around. */
static const uint8_t *map(const struct acpi_mem *mem, uint64_t addr, uint32_t len) {
  if (addr == 0 || addr + len < addr)
    return NULL;
  return mem->map(mem->ctx, addr, len);
}

/*
 * The generic checks of a System Description Table at addr with signature sig: its header is
 * mapped, the signature matches, min_len <= Length <= ACPI_TABLE_MAX_LEN, the whole Length is
 * mapped, the bytes sum to 0 and the range overlaps nothing read before. Returns the table (and
 * *len) or NULL with the error noted.
 */
static const uint8_t *map_table(const struct acpi_mem *mem, struct ranges *seen,
                                enum acpi_table t, uint64_t addr, uint32_t min_len,
                                uint32_t *len, struct acpi_info *out) {
  const uint8_t *h = map(mem, addr, ACPI_HDR_LEN);
  if (h == NULL) {
    acpi_note(out, t, ACPI_ERR_UNMAPPED, addr, 0);
    return NULL;
  }
  if (memcmp(h, acpi_table_name(t), 4) != 0) {
    acpi_note(out, t, ACPI_ERR_SIGNATURE, addr, 0);
    return NULL;
  }
  uint32_t n = le32(h + 4);
  if (n < min_len || n > ACPI_TABLE_MAX_LEN) {
    acpi_note(out, t, ACPI_ERR_LENGTH, addr, 4);
    return NULL;
  }
  const uint8_t *p = map(mem, addr, n);
  if (p == NULL) {
    acpi_note(out, t, ACPI_ERR_UNMAPPED, addr, 4);
    return NULL;
  }
  if (sum8(p, n) != 0) {
    acpi_note(out, t, ACPI_ERR_CHECKSUM, addr, 9);
    return NULL;
  }
  if (overlaps(seen, addr, addr + n)) {
    acpi_note(out, t, ACPI_ERR_OVERLAP, addr, 0);
    return NULL;
  }
  add_range(seen, addr, addr + n);
  *len = n;
  return p;
}

/* The RSDP: returns false (error noted) when it cannot be used; else the root addresses. */
static bool read_rsdp(const struct acpi_mem *mem, uint64_t addr, struct ranges *seen,
                      uint64_t *xsdt, uint32_t *rsdt, struct acpi_info *out) {
  const uint8_t *p = map(mem, addr, RSDP_V1_LEN);
  if (p == NULL) {
    acpi_note(out, ACPI_T_RSDP, ACPI_ERR_UNMAPPED, addr, 0);
    return false;
  }
  if (memcmp(p, "RSD PTR ", 8) != 0) {
    acpi_note(out, ACPI_T_RSDP, ACPI_ERR_SIGNATURE, addr, 0);
    return false;
  }
  if (sum8(p, RSDP_V1_LEN) != 0) {
    acpi_note(out, ACPI_T_RSDP, ACPI_ERR_CHECKSUM, addr, 8);
    return false;
  }
  out->rsdp_revision = p[15];
  *rsdt = le32(p + 16);
  *xsdt = 0;
  uint32_t len = RSDP_V1_LEN;
  if (p[15] >= 2) {
    const uint8_t *v2 = map(mem, addr, RSDP_V2_LEN);
    if (v2 == NULL) {
      acpi_note(out, ACPI_T_RSDP, ACPI_ERR_UNMAPPED, addr, RSDP_V1_LEN);
      return false;
    }
    len = le32(v2 + 20);
    if (len < RSDP_V2_LEN || len > RSDP_MAX_LEN) {
      acpi_note(out, ACPI_T_RSDP, ACPI_ERR_LENGTH, addr, 20);
      return false;
    }
    p = map(mem, addr, len);
    if (p == NULL) {
      acpi_note(out, ACPI_T_RSDP, ACPI_ERR_UNMAPPED, addr, 20);
      return false;
    }
    if (sum8(p, len) != 0) {
      acpi_note(out, ACPI_T_RSDP, ACPI_ERR_XCHECKSUM, addr, 32);
      return false;
    }
    *xsdt = (uint64_t)le32(p + 24) | (uint64_t)le32(p + 28) << 32;
  }
  add_range(seen, addr, addr + len);
  return true;
}

/* The addresses of the first MADT, FADT and MCFG the root table lists (0: not listed). */
struct wanted {
  uint64_t addr[3];
};
static const enum acpi_table WANTED[3] = {ACPI_T_MADT, ACPI_T_FADT, ACPI_T_MCFG};

/* Reads the root table's entries (4 or 8 bytes each) and finds the tables in WANTED by the
 * signature in their headers. An entry whose header is unmapped is noted and skipped; a null
 * entry is skipped. */
static bool read_root(const struct acpi_mem *mem, struct ranges *seen, enum acpi_table t,
                      uint64_t addr, struct wanted *w, struct acpi_info *out) {
  uint32_t len;
  const uint8_t *p = map_table(mem, seen, t, addr, ACPI_HDR_LEN, &len, out);
  if (p == NULL)
    return false;
  uint32_t size = t == ACPI_T_XSDT ? 8 : 4;
  if ((len - ACPI_HDR_LEN) % size != 0) {
    acpi_note(out, t, ACPI_ERR_ROOT_LENGTH, addr, 4);
    return false;
  }
  struct d0_cursor c = d0_cursor_init(p + ACPI_HDR_LEN, len - ACPI_HDR_LEN);
  for (uint32_t off = ACPI_HDR_LEN; !d0_cursor_empty(&c); off += size) {
    uint64_t entry = 0;
    uint32_t e32;
    bool ok = size == 8 ? d0_cursor_read_u64le(&c, &entry) : d0_cursor_read_u32le(&c, &e32);
    if (!ok)
      break; /* cannot happen: the length is a whole number of entries */
    if (size == 4)
      entry = e32;
    if (entry == 0)
      continue;
    const uint8_t *h = map(mem, entry, ACPI_HDR_LEN);
    if (h == NULL) {
      acpi_note(out, t, ACPI_ERR_UNMAPPED, addr, off);
      continue;
    }
    for (uint32_t i = 0; i < 3; i++)
      if (w->addr[i] == 0 && memcmp(h, acpi_table_name(WANTED[i]), 4) == 0)
        w->addr[i] = entry;
  }
  return true;
}

static void reset_madt(struct acpi_info *out) {
  out->madt_ok = false;
  out->lapic_addr = 0;
  out->madt_flags = 0;
  out->cpu_count = out->cpu_disabled = 0;
  out->ioapic_count = out->override_count = out->nmi_count = 0;
}

static void reset_fadt(struct acpi_info *out) {
  out->fadt_ok = out->reset_ok = false;
  out->fadt_revision = out->reset_value = out->pm_timer_bits = 0;
  out->fadt_flags = out->pm_timer_port = 0;
  out->iapc_boot_arch = 0;
  memset(&out->reset_reg, 0, sizeof out->reset_reg);
}

static void read_tables(const struct acpi_mem *mem, struct ranges *seen, const struct wanted *w,
                        struct acpi_info *out) {
  static const uint32_t MIN_LEN[3] = {MADT_MIN_LEN, FADT_MIN_LEN, MCFG_MIN_LEN};
  for (uint32_t i = 0; i < 3; i++) {
    if (w->addr[i] == 0)
      continue;
    uint32_t len;
    const uint8_t *p = map_table(mem, seen, WANTED[i], w->addr[i], MIN_LEN[i], &len, out);
    if (p == NULL)
      continue;
    switch (WANTED[i]) {
    case ACPI_T_MADT:
      if (!(out->madt_ok = acpi_parse_madt(p, len, w->addr[i], out)))
        reset_madt(out);
      break;
    case ACPI_T_FADT:
      if (!(out->fadt_ok = acpi_parse_fadt(p, len, w->addr[i], out)))
        reset_fadt(out);
      break;
    default:
      if (!(out->mcfg_ok = acpi_parse_mcfg(p, len, w->addr[i], out)))
        out->ecam_count = 0;
      break;
    }
  }
}

void acpi_parse(const struct acpi_mem *mem, uint64_t rsdp_phys, uint32_t bsp_apic_id,
                struct acpi_info *out) {
  memset(out, 0, sizeof *out);
  struct ranges seen = {0};
  uint64_t xsdt = 0;
  uint32_t rsdt = 0;
  struct wanted w = {{0, 0, 0}};

  if (rsdp_phys == 0)
    acpi_note(out, ACPI_T_RSDP, ACPI_ERR_NO_RSDP, 0, 0);
  else if ((out->rsdp_ok = read_rsdp(mem, rsdp_phys, &seen, &xsdt, &rsdt, out))) {
    /* The XSDT when there is one; the RSDT when there is none or it is rejected. */
    if (xsdt != 0 && read_root(mem, &seen, ACPI_T_XSDT, xsdt, &w, out))
      out->root = ACPI_T_XSDT, out->root_ok = true;
    else if (rsdt != 0 && read_root(mem, &seen, ACPI_T_RSDT, rsdt, &w, out))
      out->root = ACPI_T_RSDT, out->root_ok = true;
    else if (xsdt == 0 && rsdt == 0)
      acpi_note(out, ACPI_T_RSDP, ACPI_ERR_UNMAPPED, rsdp_phys, 16);
  }
  if (out->root_ok)
    read_tables(mem, &seen, &w, out);

  if (out->cpu_count == 0) {
    /* No usable MADT (or one listing no usable CPU): the CPU running this is the only one. */
    out->cpu_source = ACPI_CPUS_FALLBACK;
    out->cpu_count = 1;
    out->cpus[0] = (struct acpi_cpu){bsp_apic_id, 0, ACPI_CPU_ENABLED, bsp_apic_id > 0xFE};
  } else {
    out->cpu_source = ACPI_CPUS_MADT;
  }
}

uint32_t acpi_enabled_cpus(const struct acpi_info *info) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < info->cpu_count && i < ACPI_MAX_CPUS; i++)
    n += (info->cpus[i].flags & ACPI_CPU_ENABLED) != 0;
  return n;
}
