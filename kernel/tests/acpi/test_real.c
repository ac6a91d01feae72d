/*
 * The tables QEMU + OVMF give on q35 and pc with 1 and 4 CPUs (test/vectors/acpi): the CPUs and
 * their APIC ids, the IOAPIC and the overrides, the FADT's reset register and PM timer, q35's
 * MCFG; the same CPUs through the RSDT and through an ACPI 1.0 RSDP; and the ev=cpus line.
 */
#include <string.h>

#include "check.h"
#include "log/tests/capture.h"
#include "tests.h"

struct expect {
  const char *dir;
  uint32_t cpus;
  bool q35;
  const char *line; /* the ev=cpus line after "ev=cpus " */
};

static const struct expect EXPECT[] = {
    {"q35-smp1", 1, true,
     "count=1 apic_ids=0 source=madt root=xsdt lapic=0xfee00000 ioapic=0@0xfec00000/0 "
     "overrides=5 reset=io:0xcf9/0xf pm_timer=0x608/24 ecam=0xb0000000/0:0-255"},
    {"q35-smp4", 4, true,
     "count=4 apic_ids=0,1,2,3 source=madt root=xsdt lapic=0xfee00000 ioapic=0@0xfec00000/0 "
     "overrides=5 reset=io:0xcf9/0xf pm_timer=0x608/24 ecam=0xb0000000/0:0-255"},
    {"pc-smp1", 1, false,
     "count=1 apic_ids=0 source=madt root=xsdt lapic=0xfee00000 ioapic=0@0xfec00000/0 "
     "overrides=5 reset=none pm_timer=0xb008/24 ecam=none"},
    {"pc-smp4", 4, false,
     "count=4 apic_ids=0,1,2,3 source=madt root=xsdt lapic=0xfee00000 ioapic=0@0xfec00000/0 "
     "overrides=5 reset=none pm_timer=0xb008/24 ecam=none"},
};

static void check_cpus(const struct acpi_info *info, const struct expect *x) {
  CHECK_EQ(info->cpu_source, ACPI_CPUS_MADT);
  CHECK_EQ(info->cpu_count, x->cpus);
  CHECK_EQ(acpi_enabled_cpus(info), x->cpus);
  CHECK_EQ(info->cpu_disabled, 0);
  for (uint32_t i = 0; i < x->cpus; i++) {
    CHECK_EQ(info->cpus[i].apic_id, i);
    CHECK_EQ(info->cpus[i].uid, i);
    CHECK_EQ(info->cpus[i].flags, ACPI_CPU_ENABLED);
    CHECK(!info->cpus[i].x2apic);
  }
}

static void check_one(const struct expect *x) {
  struct sim_mem m;
  load(&m, x->dir);
  const struct acpi_info *info = parse(&m);
  CHECK_MSG(info->error_count == 0, "%s: %u errors, first %s in %s", x->dir, info->error_count,
            acpi_err_name(info->errors[0].err), acpi_table_name(info->errors[0].table));
  CHECK(info->rsdp_ok && info->rsdp_revision == 2);
  CHECK(info->root_ok && info->root == ACPI_T_XSDT);
  check_cpus(info, x);

  /* MADT: QEMU's one IOAPIC, IRQ 0 -> GSI 2 and the level-triggered PCI IRQs, LINT1 NMI. */
  CHECK(info->madt_ok);
  CHECK_EQ(info->lapic_addr, 0xfee00000);
  CHECK_EQ(info->madt_flags, 1); /* PCAT_COMPAT */
  CHECK_EQ(info->ioapic_count, 1);
  CHECK_EQ(info->ioapics[0].id, 0);
  CHECK_EQ(info->ioapics[0].addr, 0xfec00000);
  CHECK_EQ(info->ioapics[0].gsi_base, 0);
  CHECK_EQ(info->override_count, 5);
  CHECK_EQ(info->overrides[0].source_irq, 0);
  CHECK_EQ(info->overrides[0].gsi, 2);
  CHECK_EQ(info->overrides[0].flags, 0);
  static const uint8_t PCI_IRQS[] = {5, 9, 10, 11};
  for (int i = 0; i < 4; i++) {
    CHECK_EQ(info->overrides[1 + i].source_irq, PCI_IRQS[i]);
    CHECK_EQ(info->overrides[1 + i].gsi, PCI_IRQS[i]);
    CHECK_EQ(info->overrides[1 + i].flags, 0xd); /* active high, level */
  }
  CHECK_EQ(info->nmi_count, 1);
  CHECK_EQ(info->nmis[0].kind, 4);
  CHECK_EQ(info->nmis[0].uid, 0xff);
  CHECK_EQ(info->nmis[0].lint, 1);

  /* FADT: q35's is revision 3 with the 0xCF9 reset register; pc's is the ACPI 1.0 one. */
  CHECK(info->fadt_ok);
  CHECK_EQ(info->pm_timer_bits, 24); /* QEMU: TMR_VAL_EXT clear */
  if (x->q35) {
    CHECK_EQ(info->fadt_revision, 3);
    CHECK(info->reset_ok);
    CHECK_EQ(info->reset_reg.space, 1);
    CHECK_EQ(info->reset_reg.bit_width, 8);
    CHECK_EQ(info->reset_reg.addr, 0xcf9);
    CHECK_EQ(info->reset_value, 0x0f);
    CHECK_EQ(info->pm_timer_port, 0x608);
    CHECK(info->mcfg_ok);
    CHECK_EQ(info->ecam_count, 1);
    CHECK_EQ(info->ecam[0].base, 0xb0000000);
    CHECK_EQ(info->ecam[0].segment, 0);
    CHECK_EQ(info->ecam[0].bus_start, 0);
    CHECK_EQ(info->ecam[0].bus_end, 255);
  } else {
    CHECK_EQ(info->fadt_revision, 1);
    CHECK(!info->reset_ok);
    CHECK_EQ(info->pm_timer_port, 0xb008);
    CHECK(!info->mcfg_ok);
    CHECK_EQ(info->ecam_count, 0);
  }

  /* The boot log line. */
  capture_take();
  acpi_log(info);
  const char *out = capture_take();
  CHECK_MSG(strstr(out, "ev=acpi_error") == NULL, "%s", out);
  const char *cpus = strstr(out, "ev=cpus ");
  CHECK_MSG(cpus != NULL && strncmp(cpus + 8, x->line, strlen(x->line)) == 0 &&
                cpus[8 + strlen(x->line)] == '\n',
            "%s: got %s", x->dir, out);

  /* The RSDT (what an ACPI 1.0 RSDP, or a v2 one without an XSDT, leads to) gives the same. */
  struct sim_mem v;
  sim_copy(&v, &m);
  struct sim_region *rsdp = sim_find(&v, "RSDP");
  memset(rsdp->bytes + 24, 0, 8); /* XSDT address 0 */
  sim_fix_checksum(rsdp);
  info = parse(&v);
  CHECK_EQ(info->error_count, 0);
  CHECK(info->root_ok && info->root == ACPI_T_RSDT);
  check_cpus(info, x);
  CHECK_EQ(info->mcfg_ok, x->q35);
  CHECK_EQ(info->reset_ok, x->q35);

  rsdp->bytes[15] = 0; /* revision 0: a 20-byte ACPI 1.0 RSDP, only the RSDT */
  sim_truncate(rsdp, 20);
  sim_fix_checksum(rsdp);
  info = parse(&v);
  CHECK_EQ(info->error_count, 0);
  CHECK_EQ(info->rsdp_revision, 0);
  CHECK(info->root_ok && info->root == ACPI_T_RSDT);
  check_cpus(info, x);
  sim_free(&v);
  sim_free(&m);
}

void test_real_all(void) {
  for (size_t i = 0; i < sizeof EXPECT / sizeof EXPECT[0]; i++)
    check_one(&EXPECT[i]);
}
