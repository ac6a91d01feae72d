/*
 * Hostile variants of the real tables (test/vectors/acpi), each made by the test from a fresh
 * copy: every truncation (of the memory, and of the stated length with the checksum fixed), a
 * changed byte at every offset (bad checksums, signatures, lengths), lengths past the end, MADT
 * entries of length 0 and 1, entries past the table's end, entries shorter than their type
 * (overlapping the next), tables overlapping each other, duplicate APIC ids, bad ECAM ranges.
 * Each must be rejected with its named error, and the documented fallback must apply.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log/tests/capture.h"
#include "tests.h"

static const char *const DIRS[] = {"q35-smp1", "q35-smp4", "pc-smp1", "pc-smp4"};
static const char *const SIGS[] = {"RSDP", "XSDT", "RSDT", "APIC", "FACP", "MCFG"};

static struct sim_mem base; /* the real tables of the current DIRS entry */
static uint32_t real_cpus;
static bool is_q35;

static enum acpi_table table_of(const char *sig) {
  static const enum acpi_table T[] = {ACPI_T_RSDP, ACPI_T_XSDT, ACPI_T_RSDT,
                                      ACPI_T_MADT, ACPI_T_FADT, ACPI_T_MCFG};
  for (int i = 0; i < 6; i++)
    if (strcmp(SIGS[i], sig) == 0)
      return T[i];
  return ACPI_T_RSDP;
}

/* The tables the root lists (found by their signature), as opposed to the RSDP and the root. */
static bool listed(const char *sig) {
  return strcmp(sig, "APIC") == 0 || strcmp(sig, "FACP") == 0 || strcmp(sig, "MCFG") == 0;
}

/* The fallback of a lost MADT: one CPU, the BSP, and nothing else from the MADT. */
static bool is_fallback(const struct acpi_info *info) {
  return info->cpu_source == ACPI_CPUS_FALLBACK && info->cpu_count == 1 &&
         info->cpus[0].apic_id == BSP_ID && info->ioapic_count == 0 && !info->madt_ok;
}

/* What must still hold when only table sig was broken (and rejected). */
static void check_rest(const struct acpi_info *info, const char *sig, const char *what) {
  bool root_lost = strcmp(sig, "RSDP") == 0;
  if (strcmp(sig, "APIC") == 0 || root_lost)
    CHECK_MSG(is_fallback(info), "%s: no fallback CPU", what);
  else
    CHECK_MSG(info->cpu_source == ACPI_CPUS_MADT && info->cpu_count == real_cpus, "%s: cpus %u",
              what, info->cpu_count);
  if (strcmp(sig, "FACP") == 0 || root_lost)
    CHECK_MSG(!info->fadt_ok && !info->reset_ok && info->pm_timer_port == 0, "%s: FADT used", what);
  else
    CHECK_MSG(info->fadt_ok && info->reset_ok == is_q35, "%s: FADT lost", what);
  if (strcmp(sig, "MCFG") == 0 || root_lost)
    CHECK_MSG(!info->mcfg_ok && info->ecam_count == 0, "%s: MCFG used", what);
  else
    CHECK_MSG(info->mcfg_ok == is_q35, "%s: MCFG lost", what);
  if (strcmp(sig, "XSDT") == 0)
    CHECK_MSG(info->root_ok && info->root == ACPI_T_RSDT, "%s: no RSDT fallback", what);
}

/* Every truncation of the memory holding a table: its stated length now runs past it. */
static void truncations(const char *sig) {
  struct sim_region *r0 = sim_find(&base, sig);
  if (r0 == NULL)
    return;
  for (uint32_t len = 0; len < r0->len; len++) {
    struct sim_mem m;
    sim_copy(&m, &base);
    sim_truncate(sim_find(&m, sig), len);
    const struct acpi_info *info = parse(&m);
    char what[64];
    snprintf(what, sizeof what, "%s cut to %u", sig, len);
    if (strcmp(sig, "RSDT") == 0) {
      CHECK_MSG(info->error_count == 0, "%s: the RSDT is read with an XSDT", what);
    } else {
      /* A listed table whose header cannot be read is noted by the root table, at its entry. */
      enum acpi_table t = len < 36 && listed(sig) ? ACPI_T_XSDT : table_of(sig);
      CHECK_MSG(has_error(info, t, ACPI_ERR_UNMAPPED), "%s: no unmapped error", what);
      check_rest(info, sig, what);
    }
    sim_free(&m);
  }
}

/* A changed byte at every offset of a table: a checksum, signature or length error. */
static void every_byte(const char *sig) {
  struct sim_region *r0 = sim_find(&base, sig);
  if (r0 == NULL || strcmp(sig, "RSDT") == 0)
    return;
  bool rsdp = strcmp(sig, "RSDP") == 0;
  for (uint32_t i = 0; i < r0->len; i++) {
    struct sim_mem m;
    sim_copy(&m, &base);
    sim_find(&m, sig)->bytes[i]++;
    const struct acpi_info *info = parse(&m);
    enum acpi_table t = table_of(sig);
    char what[64];
    snprintf(what, sizeof what, "%s byte %u changed", sig, i);
    bool ok;
    if (rsdp)
      ok = i < 8    ? has_error(info, t, ACPI_ERR_SIGNATURE)
           : i < 20 ? has_error(info, t, ACPI_ERR_CHECKSUM)
           : i < 24 ? has_error(info, t, ACPI_ERR_UNMAPPED) || has_error(info, t, ACPI_ERR_LENGTH)
                    : has_error(info, t, ACPI_ERR_XCHECKSUM);
    else
      ok = i < 4   ? (listed(sig) ? info->error_count == 0 : has_error(info, t, ACPI_ERR_SIGNATURE))
           : i < 8 ? has_error(info, t, ACPI_ERR_UNMAPPED) || has_error(info, t, ACPI_ERR_LENGTH)
                   : has_error(info, t, ACPI_ERR_CHECKSUM);
    CHECK_MSG(ok, "%s: error %s", what, acpi_err_name(info->errors[0].err));
    /* A listed table with another signature is just not there (no error): its fallback. */
    CHECK_MSG(info->error_count == (listed(sig) && i < 4 ? 0u : 1u), "%s: %u errors", what,
              info->error_count);
    check_rest(info, sig, what);
    sim_free(&m);
  }
}

/* Stated lengths past the mapped bytes, and absurd ones, with the checksum fixed. */
static void lengths(const char *sig) {
  static const uint32_t LENS[] = {0, 1, 35, 0xffffffffu, 0x10001};
  struct sim_region *r0 = sim_find(&base, sig);
  if (r0 == NULL || strcmp(sig, "RSDP") == 0 || strcmp(sig, "RSDT") == 0)
    return;
  for (uint32_t k = 0; k < 5 + 16; k++) {
    uint32_t len = k < 5 ? LENS[k] : r0->len + (k - 4);
    struct sim_mem m;
    sim_copy(&m, &base);
    struct sim_region *r = sim_find(&m, sig);
    sim_put32(r->bytes + 4, len);
    sim_fix_checksum(r);
    const struct acpi_info *info = parse(&m);
    char what[64];
    snprintf(what, sizeof what, "%s length %u of %u", sig, len, r0->len);
    enum acpi_err want = k < 5 ? ACPI_ERR_LENGTH : ACPI_ERR_UNMAPPED;
    CHECK_MSG(has_error(info, table_of(sig), want), "%s: want %s", what, acpi_err_name(want));
    check_rest(info, sig, what);
    sim_free(&m);
  }
}

/* The MADT's entry offsets, from the real table. */
static uint32_t madt_entries(const struct sim_region *r, uint32_t off[64]) {
  uint32_t n = 0;
  for (uint32_t o = 44; o + 2 <= r->len && n < 64 && r->bytes[o + 1] >= 2; o += r->bytes[o + 1])
    off[n++] = o;
  return n;
}

/* Cutting the MADT and its stated length together (checksum fixed) at every byte: a cut on an
 * entry boundary is a shorter valid table, any other cut leaves an entry past the end. */
static void madt_consistent_cuts(void) {
  struct sim_region *r0 = sim_find(&base, "APIC");
  uint32_t off[64];
  uint32_t n = madt_entries(r0, off);
  for (uint32_t len = 44; len < r0->len; len++) {
    struct sim_mem m;
    sim_copy(&m, &base);
    struct sim_region *r = sim_find(&m, "APIC");
    sim_truncate(r, len);
    sim_put32(r->bytes + 4, len);
    sim_fix_checksum(r);
    const struct acpi_info *info = parse(&m);
    bool boundary = false;
    uint32_t cut = 0, lapics = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (off[i] == len)
        boundary = true;
      if (off[i] < len)
        cut = off[i], lapics += r0->bytes[off[i]] == 0;
    }
    if (boundary) {
      CHECK_MSG(info->madt_ok && info->error_count == 0, "MADT cut at entry %u", len);
      if (lapics)
        CHECK_EQ(info->cpu_count, lapics);
    } else {
      CHECK_MSG(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END) &&
                    info->errors[0].offset == cut && is_fallback(info),
                "MADT cut at %u: want entry_past_end at %u", len, cut);
    }
    sim_free(&m);
  }
}

/* A MADT variant: entry k's length byte set to len. */
static const struct acpi_info *madt_entry_len(uint32_t off, uint8_t len, struct sim_mem *m) {
  sim_copy(m, &base);
  struct sim_region *r = sim_find(m, "APIC");
  r->bytes[off + 1] = len;
  sim_fix_checksum(r);
  return parse(m);
}

static void madt_entry_lengths(void) {
  static const uint8_t MIN[] = {8, 12, 10, 8, 6, 12};
  struct sim_region *r0 = sim_find(&base, "APIC");
  uint32_t off[64];
  uint32_t n = madt_entries(r0, off);
  CHECK(n >= 8);
  for (uint32_t i = 0; i < n; i++) {
    struct sim_mem m;
    const struct acpi_info *info;
    for (uint8_t len = 0; len < 2; len++) { /* 0 would never advance; 1 is inside the header */
      info = madt_entry_len(off[i], len, &m);
      CHECK_MSG(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_LENGTH) &&
                    info->errors[0].offset == off[i] && is_fallback(info),
                "entry %u length %u", i, len);
      sim_free(&m);
    }
    /* Past the end of the table. */
    info = madt_entry_len(off[i], (uint8_t)(r0->len - off[i] + 1), &m);
    CHECK_MSG(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END) && is_fallback(info),
              "entry %u past the end", i);
    sim_free(&m);
    info = madt_entry_len(off[i], 255, &m);
    CHECK_MSG(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END), "entry %u length 255", i);
    sim_free(&m);
    /* Shorter than its type: its fields would overlap the next entry. */
    uint8_t type = r0->bytes[off[i]];
    if (type < 6) {
      for (uint8_t len = 2; len < MIN[type]; len++) {
        info = madt_entry_len(off[i], len, &m);
        CHECK_MSG(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_SHORT) &&
                      info->errors[0].offset == off[i] && is_fallback(info),
                  "entry %u (type %u) length %u", i, type, len);
        sim_free(&m);
      }
    }
  }
  /* A 1-byte tail after the last entry (table length + 1, checksum fixed). */
  struct sim_mem m;
  sim_copy(&m, &base);
  struct sim_region *r = sim_find(&m, "APIC");
  sim_truncate(r, r0->len + 1);
  r->bytes[r0->len] = 0;
  sim_put32(r->bytes + 4, r0->len + 1);
  sim_fix_checksum(r);
  const struct acpi_info *info = parse(&m);
  CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_ENTRY_PAST_END) && is_fallback(info));
  sim_free(&m);
}

/* Sets root entry k (of sig XSDT) to addr. */
static void set_xsdt_entry(struct sim_mem *m, const char *target, uint64_t addr) {
  struct sim_region *x = sim_find(m, "XSDT");
  uint64_t old = sim_find(m, target)->phys;
  for (uint32_t o = 36; o + 8 <= x->len; o += 8)
    if (sim_le32(x->bytes + o) == (uint32_t)old)
      sim_put64(x->bytes + o, addr);
  sim_fix_checksum(x);
}

static void overlaps(void) {
  struct sim_mem m;
  /* The FADT moved to 16 bytes into the MADT: the second of the two is rejected. */
  sim_copy(&m, &base);
  uint64_t madt = sim_find(&m, "APIC")->phys;
  struct sim_region *f = sim_find(&m, "FACP");
  set_xsdt_entry(&m, "FACP", madt + 16);
  sim_add_first(&m, madt + 16, f->bytes, f->len, "FACP");
  const struct acpi_info *info = parse(&m);
  CHECK(has_error(info, ACPI_T_FADT, ACPI_ERR_OVERLAP));
  CHECK(info->madt_ok && info->cpu_count == real_cpus && !info->fadt_ok && !info->reset_ok);
  sim_free(&m);

  /* The MADT inside the XSDT's own bytes. */
  sim_copy(&m, &base);
  uint64_t xsdt = sim_find(&m, "XSDT")->phys;
  struct sim_region *a = sim_find(&m, "APIC");
  set_xsdt_entry(&m, "APIC", xsdt + 8);
  a = sim_find(&m, "APIC");
  sim_add_first(&m, xsdt + 8, a->bytes, a->len, "APIC");
  info = parse(&m);
  CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_OVERLAP) && is_fallback(info));
  sim_free(&m);

  /* The XSDT overlapping the RSDP: rejected, the RSDT is used. */
  sim_copy(&m, &base);
  struct sim_region *rsdp = sim_find(&m, "RSDP");
  struct sim_region *x = sim_find(&m, "XSDT");
  uint64_t at = rsdp->phys + 4;
  sim_add_first(&m, at, x->bytes, x->len, "XSDT");
  rsdp = sim_find(&m, "RSDP");
  sim_put64(rsdp->bytes + 24, at);
  sim_fix_checksum(rsdp);
  info = parse(&m);
  CHECK(has_error(info, ACPI_T_XSDT, ACPI_ERR_OVERLAP));
  CHECK(info->root_ok && info->root == ACPI_T_RSDT && info->cpu_count == real_cpus);
  sim_free(&m);
}

static void odd_tables(void) {
  struct sim_mem m;
  const struct acpi_info *info;
  /* Two processor entries with the same APIC id (the second CPU's id set to the first's). */
  if (real_cpus > 1) {
    sim_copy(&m, &base);
    struct sim_region *r = sim_find(&m, "APIC");
    uint32_t off[64];
    madt_entries(r, off);
    r->bytes[off[1] + 3] = r->bytes[off[0] + 3];
    sim_fix_checksum(r);
    info = parse(&m);
    CHECK(has_error(info, ACPI_T_MADT, ACPI_ERR_DUPLICATE_APIC_ID) && is_fallback(info));
    CHECK_EQ(info->errors[0].offset, off[1]);
    sim_free(&m);
  }
  /* An ECAM range whose end bus is below its start bus; an MCFG cut inside an entry. */
  if (is_q35) {
    sim_copy(&m, &base);
    struct sim_region *r = sim_find(&m, "MCFG");
    r->bytes[44 + 10] = 5, r->bytes[44 + 11] = 4;
    sim_fix_checksum(r);
    info = parse(&m);
    CHECK(has_error(info, ACPI_T_MCFG, ACPI_ERR_BAD_RANGE) && !info->mcfg_ok);
    CHECK_EQ(info->ecam_count, 0);
    sim_free(&m);
    for (uint32_t len = 45; len < 60; len++) {
      sim_copy(&m, &base);
      r = sim_find(&m, "MCFG");
      sim_truncate(r, len);
      sim_put32(r->bytes + 4, len);
      sim_fix_checksum(r);
      info = parse(&m);
      CHECK(has_error(info, ACPI_T_MCFG, ACPI_ERR_ENTRY_PAST_END) && !info->mcfg_ok);
      sim_free(&m);
    }
  }
  /* An XSDT whose entry area is not whole entries: the RSDT is used. */
  for (uint32_t cut = 1; cut < 8; cut++) {
    sim_copy(&m, &base);
    struct sim_region *x = sim_find(&m, "XSDT");
    uint32_t len = x->len - cut;
    sim_truncate(x, len);
    sim_put32(x->bytes + 4, len);
    sim_fix_checksum(x);
    info = parse(&m);
    CHECK(has_error(info, ACPI_T_XSDT, ACPI_ERR_ROOT_LENGTH));
    check_rest(info, "XSDT", "XSDT entries cut");
    sim_free(&m);
  }
  /* A root entry pointing nowhere: noted, the other tables still read. */
  sim_copy(&m, &base);
  struct sim_region *x = sim_find(&m, "XSDT");
  sim_put64(x->bytes + 36, 0x123456000ull);
  sim_fix_checksum(x);
  info = parse(&m);
  CHECK(has_error(info, ACPI_T_XSDT, ACPI_ERR_UNMAPPED) && info->errors[0].offset == 36);
  CHECK(info->root_ok && info->root == ACPI_T_XSDT);
  sim_free(&m);
  /* No MADT listed: one CPU, no error. */
  sim_copy(&m, &base);
  set_xsdt_entry(&m, "APIC", 0);
  info = parse(&m);
  CHECK(is_fallback(info) && info->error_count == 0 && info->fadt_ok);
  sim_free(&m);
  /* No RSDP at all, and an RSDP address holding another table. */
  sim_copy(&m, &base);
  struct acpi_mem mem = sim_acpi_mem(&m);
  static struct acpi_info own;
  acpi_parse(&mem, 0, BSP_ID, &own);
  CHECK(has_error(&own, ACPI_T_RSDP, ACPI_ERR_NO_RSDP) && is_fallback(&own) && !own.root_ok);
  acpi_parse(&mem, sim_find(&m, "APIC")->phys, BSP_ID, &own);
  CHECK(has_error(&own, ACPI_T_RSDP, ACPI_ERR_SIGNATURE) && is_fallback(&own));
  /* ...and its log: the error named, then the fallback. */
  capture_take();
  acpi_log(&own);
  const char *out = capture_take();
  CHECK_MSG(strstr(out, "ev=acpi_error table=RSDP error=signature addr=0xf7") != NULL, "%s", out);
  CHECK_MSG(strstr(out, "ev=cpus count=1 apic_ids=7 source=fallback root=none ioapic=none "
                        "overrides=0 reset=no_fadt pm_timer=none ecam=none\n") != NULL,
            "%s", out);
  sim_free(&m);
}

void test_hostile_all(void) {
  for (size_t d = 0; d < sizeof DIRS / sizeof DIRS[0]; d++) {
    load(&base, DIRS[d]);
    is_q35 = strncmp(DIRS[d], "q35", 3) == 0;
    real_cpus = strstr(DIRS[d], "smp4") ? 4 : 1;
    for (size_t s = 0; s < sizeof SIGS / sizeof SIGS[0]; s++) {
      truncations(SIGS[s]);
      every_byte(SIGS[s]);
      lengths(SIGS[s]);
    }
    madt_consistent_cuts();
    madt_entry_lengths();
    overlaps();
    odd_tables();
    sim_free(&base);
  }
}
