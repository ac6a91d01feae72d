/*
 * The ACPI result in the boot log (acpi.h acpi_log): one ev=acpi_error per problem found, then
 * one ev=cpus. Lists are written into bounded buffers; what does not fit is counted in a
 * *_more= key, so a line never passes LOG_LINE_MAX with a 256-CPU MADT.
 */
#include "acpi/acpi.h"
#include "d0/textbuf.h"
#include "log/log.h"

#define LIST_CAP 160 /* characters of one list value: two lists and the rest stay under LOG_LINE_MAX */

static void tb_hex(struct d0_textbuf *tb, uint64_t v) {
  static const char DIGITS[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do
    buf[n++] = DIGITS[v & 0xF], v >>= 4;
  while (v != 0);
  d0_tb_str(tb, "0x");
  while (n > 0)
    d0_tb_char(tb, buf[--n]);
}

/* Appends item i of a list (sep before all but the first); false once the buffer is full, in
 * which case the text is back to what it was before the item. */
static bool list_add(struct d0_textbuf *tb, const struct d0_textbuf *item) {
  size_t mark = tb->len;
  if (mark != 0)
    d0_tb_char(tb, ',');
  d0_tb_str(tb, item->buf);
  if (!tb->overflow)
    return true;
  tb->len = mark, tb->buf[mark] = '\0', tb->overflow = false;
  return false;
}

static void log_errors(const struct acpi_info *info) {
  uint32_t kept = info->error_count < ACPI_MAX_ERRORS ? info->error_count : ACPI_MAX_ERRORS;
  for (uint32_t i = 0; i < kept; i++) {
    const struct acpi_error *e = &info->errors[i];
    log_begin("acpi_error");
    log_str("table", acpi_table_name(e->table));
    log_str("error", acpi_err_name(e->err));
    log_hex("addr", e->addr);
    log_u64("offset", e->offset);
    log_end();
  }
  if (info->error_count > kept) {
    log_begin("acpi_error");
    log_str("error", "more_not_kept");
    log_u64("count", info->error_count - kept);
    log_end();
  }
}

/* apic_ids=: the enabled CPUs' ids in MADT order. */
static void log_cpu_ids(const struct acpi_info *info) {
  char buf[LIST_CAP], one[16];
  struct d0_textbuf tb, it;
  uint32_t more = 0, online = 0;
  d0_tb_init(&tb, buf, sizeof buf);
  for (uint32_t i = 0; i < info->cpu_count; i++) {
    if (!(info->cpus[i].flags & ACPI_CPU_ENABLED)) {
      online++;
      continue;
    }
    d0_tb_init(&it, one, sizeof one);
    d0_tb_u64(&it, info->cpus[i].apic_id);
    if (more != 0 || !list_add(&tb, &it))
      more++;
  }
  log_str("apic_ids", buf);
  if (more != 0)
    log_u64("apic_ids_more", more);
  if (online != 0)
    log_u64("online_capable", online);
  if (info->cpu_disabled != 0)
    log_u64("disabled", info->cpu_disabled);
}

/* ioapic=<id>@<addr>/<gsi base>,... */
static void log_ioapics(const struct acpi_info *info) {
  char buf[LIST_CAP], one[48];
  struct d0_textbuf tb, it;
  uint32_t more = 0;
  d0_tb_init(&tb, buf, sizeof buf);
  for (uint32_t i = 0; i < info->ioapic_count; i++) {
    d0_tb_init(&it, one, sizeof one);
    d0_tb_u64(&it, info->ioapics[i].id);
    d0_tb_char(&it, '@');
    tb_hex(&it, info->ioapics[i].addr);
    d0_tb_char(&it, '/');
    d0_tb_u64(&it, info->ioapics[i].gsi_base);
    if (more != 0 || !list_add(&tb, &it))
      more++;
  }
  log_str("ioapic", info->ioapic_count ? buf : "none");
  if (more != 0)
    log_u64("ioapic_more", more);
}

static void log_fadt(const struct acpi_info *info) {
  char buf[48];
  struct d0_textbuf tb;
  d0_tb_init(&tb, buf, sizeof buf);
  if (info->reset_ok) {
    /* reset=<space>:<address>/<value>, space as ACPI numbers it (1: I/O, 0: memory, 2: PCI). */
    d0_tb_str(&tb, info->reset_reg.space == 1 ? "io" : info->reset_reg.space == 0 ? "mem" : "space");
    if (info->reset_reg.space > 1)
      d0_tb_u64(&tb, info->reset_reg.space);
    d0_tb_char(&tb, ':');
    tb_hex(&tb, info->reset_reg.addr);
    d0_tb_char(&tb, '/');
    tb_hex(&tb, info->reset_value);
  } else {
    d0_tb_str(&tb, info->fadt_ok ? "none" : "no_fadt");
  }
  log_str("reset", buf);
  d0_tb_init(&tb, buf, sizeof buf);
  if (info->pm_timer_port != 0) {
    tb_hex(&tb, info->pm_timer_port);
    d0_tb_char(&tb, '/');
    d0_tb_u64(&tb, info->pm_timer_bits);
  } else {
    d0_tb_str(&tb, "none");
  }
  log_str("pm_timer", buf);
}

/* ecam=<base>/<segment>:<start bus>-<end bus>,... */
static void log_ecam(const struct acpi_info *info) {
  char buf[LIST_CAP], one[48];
  struct d0_textbuf tb, it;
  d0_tb_init(&tb, buf, sizeof buf);
  for (uint32_t i = 0; i < info->ecam_count; i++) {
    const struct acpi_ecam *r = &info->ecam[i];
    d0_tb_init(&it, one, sizeof one);
    tb_hex(&it, r->base);
    d0_tb_char(&it, '/');
    d0_tb_u64(&it, r->segment);
    d0_tb_char(&it, ':');
    d0_tb_u64(&it, r->bus_start);
    d0_tb_char(&it, '-');
    d0_tb_u64(&it, r->bus_end);
    list_add(&tb, &it); /* ACPI_MAX_ECAM entries of < 40 characters always fit */
  }
  log_str("ecam", info->ecam_count ? buf : "none");
}

void acpi_log(const struct acpi_info *info) {
  log_errors(info);
  log_begin("cpus");
  log_u64("count", acpi_enabled_cpus(info));
  log_cpu_ids(info);
  log_str("source", info->cpu_source == ACPI_CPUS_MADT       ? "madt"
                    : info->cpu_source == ACPI_CPUS_FIRMWARE ? "firmware"
                                                             : "fallback");
  log_str("root", !info->root_ok ? "none" : info->root == ACPI_T_XSDT ? "xsdt" : "rsdt");
  if (info->madt_ok)
    log_hex("lapic", info->lapic_addr);
  log_ioapics(info);
  log_u64("overrides", info->override_count);
  log_fadt(info);
  log_ecam(info);
  log_end();
}
