/* Guest memory, buses, exit dispatch, the status port, lifecycle and the health verdict. */
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "guest_drv.h"
#include "hv/cpuid.h"
#include "hv/err.h"
#include "hv/exit.h"
#include "hv/health.h"
#include "hv/log_budget.h"
#include "hv/status_port.h"
#include "check.h"

#define MIB (1024ull * 1024ull)
#define S (1000000000ull)

static void *ram_alloc(uint64_t size)
{
  void *p = aligned_alloc(2 * MIB, size);
  memset(p, 0, size);
  return p;
}

static void test_translate_refuses_outside(void)
{
  struct guest_mem m;
  uint8_t *ram = ram_alloc(2 * MIB);
  CHECK_EQ(guest_mem_init(&m, ram, 2 * MIB), HV_OK);
  hva_t h;
  CHECK_EQ(guest_mem_translate(&m, gpa_init(0), 2 * MIB, &h), HV_OK);
  CHECK(ptr_from_hva(h) == ram);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(2 * MIB - 1), 1, &h), HV_OK);
  CHECK(ptr_from_hva(h) == ram + 2 * MIB - 1);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(2 * MIB - 1), 2, &h), HV_E_RANGE);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(2 * MIB), 1, &h), HV_E_RANGE);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(~0ull - 3), 8, &h), HV_E_OVERFLOW);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(8), ~0ull, &h), HV_E_OVERFLOW);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(1ull << 40), 1, &h), HV_E_RANGE);
  uint8_t b[4] = {1, 2, 3, 4};
  CHECK_EQ(guest_mem_write(&m, gpa_init(2 * MIB - 2), b, 4), HV_E_RANGE);
  CHECK_EQ(guest_mem_write(&m, gpa_init(16), b, 4), HV_OK);
  CHECK_EQ(ram[17], 2);
  CHECK_EQ(guest_mem_init(&m, ram, 12345), HV_E_MEM_LAYOUT);
  CHECK_EQ(guest_mem_init(&m, NULL, 2 * MIB), HV_E_MEM_LAYOUT);
  free(ram);
}

/* Above 3 GiB, RAM continues at 4 GiB; the hole in between is not RAM. Nothing is dereferenced
 * here, so a fake host base is enough. */
static void test_translate_high_ram_and_hole(void)
{
  struct guest_mem m;
  uint64_t size = 5ull << 30;
  CHECK_EQ(guest_mem_init(&m, (void *)0x10000000ull, size), HV_OK);
  CHECK_EQ(m.low_size, 3ull << 30);
  CHECK_EQ(m.high_size, 2ull << 30);
  hva_t h;
  CHECK_EQ(guest_mem_translate(&m, gpa_init((3ull << 30) - 8), 8, &h), HV_OK);
  CHECK_EQ(guest_mem_translate(&m, gpa_init((3ull << 30) - 8), 16, &h), HV_E_RANGE);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(0xd0000000ull), 4, &h), HV_E_RANGE);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(4ull << 30), 4, &h), HV_OK);
  CHECK_EQ(hva_addr(h), 0x10000000ull + (3ull << 30));
  CHECK_EQ(guest_mem_translate(&m, gpa_init((6ull << 30) - 4), 4, &h), HV_OK);
  CHECK_EQ(guest_mem_translate(&m, gpa_init((6ull << 30) - 4), 8, &h), HV_E_RANGE);
  CHECK_EQ(guest_mem_translate(&m, gpa_init(6ull << 30), 1, &h), HV_E_RANGE);
}

static void test_npt_map_uses_2m_pages_where_aligned(void)
{
  struct arch_vm avm;
  struct guest_mem m;
  uint64_t n2, n4;
  uint8_t *ram = ram_alloc(6 * MIB);
  arch_vm_init(&avm);
  CHECK_EQ(guest_mem_init(&m, ram, 4 * MIB + 8192), HV_OK);
  CHECK_EQ(guest_mem_map(&m, &avm, &n2, &n4), HV_OK);
  CHECK_EQ(n2, 2);
  CHECK_EQ(n4, 2);
  CHECK_EQ(avm.mapped_bytes, 4 * MIB + 8192);
  CHECK_EQ(avm.map_gpa[0], 0);
  CHECK_EQ(avm.map_size[0], 2 * MIB);
  CHECK_EQ(avm.map_gpa[2], 4 * MIB);
  CHECK_EQ(avm.map_size[2], 4096);
  /* Host buffer 4 KiB off a 2 MiB boundary: no 2 MiB page can be used. */
  arch_vm_init(&avm);
  CHECK_EQ(guest_mem_init(&m, ram + 4096, 4 * MIB), HV_OK);
  CHECK_EQ(guest_mem_map(&m, &avm, &n2, &n4), HV_OK);
  CHECK_EQ(n2, 0);
  CHECK_EQ(n4, 1024);
  /* A backend failure is passed up. */
  arch_vm_init(&avm);
  fake_npt_fail_after(1);
  CHECK_EQ(guest_mem_map(&m, &avm, &n2, &n4), HV_E_ARCH);
  fake_npt_fail_after(~0ull);
  free(ram);
}

static void test_bus_registration(void)
{
  static const struct bus_ops ops = {NULL, NULL};
  struct bus b;
  bus_init(&b);
  CHECK_EQ(bus_register(&b, 0x100, 0x10, "a", &ops, NULL), HV_OK);
  CHECK_EQ(bus_register(&b, 0x10f, 1, "b", &ops, NULL), HV_E_BUSY);
  CHECK_EQ(bus_register(&b, 0xf8, 9, "c", &ops, NULL), HV_E_BUSY);
  CHECK_EQ(bus_register(&b, 0x110, 1, "d", &ops, NULL), HV_OK);
  CHECK_EQ(bus_register(&b, 0x200, 0, "e", &ops, NULL), HV_E_INVAL);
  CHECK_EQ(bus_register(&b, ~0ull - 1, 4, "f", &ops, NULL), HV_E_INVAL);
  CHECK(bus_find(&b, 0x10e, 2) != NULL);
  CHECK(bus_find(&b, 0x10f, 2) == NULL); /* straddles two devices */
  for (uint64_t i = b.count; i < BUS_MAX_RANGES; i++)
    CHECK_EQ(bus_register(&b, 0x1000 + i * 16, 16, "g", &ops, NULL), HV_OK);
  CHECK_EQ(bus_register(&b, 0x9000, 16, "h", &ops, NULL), HV_E_FULL);
}

static uint8_t *vm_ram;

static void new_vm(struct vm *vm, uint32_t timeout_s, enum vm_health_kind kind)
{
  struct vm_config cfg = {"web", timeout_s, kind, NULL, 0, NULL, NULL, 1};
  if (vm_ram == NULL)
    vm_ram = ram_alloc(4 * MIB);
  fake_time_set(1000 * S);
  fake_events_clear();
  CHECK_EQ(vm_init(vm, &cfg, vm_ram, 4 * MIB), HV_OK);
  CHECK_EQ(vm_start(vm, NULL), HV_OK);
  CHECK_EQ(vm->state, VM_RUNNING);
}

static void test_vm_config_refused(void)
{
  static struct vm vm;
  uint8_t *ram = ram_alloc(2 * MIB);
  struct vm_config bad_name = {"", 10, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  struct vm_config long_name = {"a-name-that-is-longer-than-32-chars", 10, VM_HEALTH_READY,
                                NULL, 0, NULL, NULL, 1};
  struct vm_config no_timeout = {"web", 0, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  struct vm_config bad_kind = {"web", 10, (enum vm_health_kind)7, NULL, 0, NULL, NULL, 1};
  CHECK_EQ(vm_init(&vm, &bad_name, ram, 2 * MIB), HV_E_INVAL);
  CHECK_EQ(vm_init(&vm, &long_name, ram, 2 * MIB), HV_E_INVAL);
  CHECK_EQ(vm_init(&vm, &no_timeout, ram, 2 * MIB), HV_E_INVAL);
  CHECK_EQ(vm_init(&vm, &bad_kind, ram, 2 * MIB), HV_E_INVAL);
  struct vm_config ok = {"web", 10, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  CHECK_EQ(vm_init(&vm, &ok, ram, 1000), HV_E_MEM_LAYOUT);
  free(ram);
}

static void test_unclaimed_port_reads_all_ones(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  CHECK_EQ(guest_pio(&vm, 0x80, 1, false, 0), 0xff);
  CHECK_EQ(guest_pio(&vm, 0x80, 2, false, 0), 0xffff);
  CHECK_EQ(guest_pio(&vm, 0xcf8, 4, false, 0), 0xffffffffull);
  guest_pio(&vm, 0x80, 1, true, 0x55);
  CHECK_EQ(vm.stats.pio_unclaimed, 4);
  CHECK_EQ(vm.stats.exits[ARCH_EXIT_IO], 4);
  const struct fake_event *e = fake_event_find("unclaimed-write");
  CHECK(e != NULL && strcmp(e->dev, "pio") == 0 && e->a == 0x80 && strcmp(e->vm, "web") == 0);
  CHECK_EQ(guest_mmio(&vm, 0xfed00000ull, 4, false, 0), 0xffffffffull);
  CHECK_EQ(vm.stats.mmio_unclaimed, 1);
  CHECK(fake_event_find("unclaimed-read") != NULL);
  /* The status port reads 0; a 4-byte access reaching past 0x505 is unclaimed. */
  CHECK_EQ(guest_pio(&vm, STATUS_PORT_EXIT, 1, false, 0), 0);
  CHECK_EQ(guest_pio(&vm, STATUS_PORT_READY, 4, false, 0), 0);
  CHECK_EQ(guest_pio(&vm, STATUS_PORT_READY + 3, 4, false, 0), 0xffffffffull);
  /* Logging is bounded, counting is not. */
  for (int i = 0; i < 50; i++)
    guest_pio(&vm, 0x81, 1, false, 0);
  size_t n = 0;
  for (size_t i = 0; i < fake_events_count(); i++)
    n += strcmp(fake_event_at(i)->what, "unclaimed-read") == 0 && strcmp(fake_event_at(i)->dev, "pio") == 0;
  CHECK(n <= 8);
  CHECK_EQ(vm.stats.pio_unclaimed, 55);
  CHECK_EQ(vm.state, VM_RUNNING);
}

static void test_dispatch_counts_io_and_mmio_exits(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  guest_pio(&vm, 0x80, 1, true, 1);
  guest_pio(&vm, 0x80, 1, true, 2);
  guest_pio(&vm, 0x80, 1, false, 0);
  guest_mmio(&vm, 0xfed00000ull, 4, false, 0);
  CHECK_EQ(exit_count_get(&vm.stats.io_at, 0x80, true), 2);
  CHECK_EQ(exit_count_get(&vm.stats.io_at, 0x80, false), 1);
  CHECK_EQ(exit_count_get(&vm.stats.mmio_at, 0xfed00000ull, false), 1);
  CHECK_EQ(exit_count_get(&vm.stats.mmio_at, 0xfed00000ull, true), 0);
}

static void test_status_port_ready_in_time(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).verdict, HEALTH_PENDING);
  fake_time_advance(29 * S);
  guest_pio(&vm, STATUS_PORT_READY, 1, true, 1);
  CHECK(vm.ready);
  CHECK_EQ(vm.ready_ns - vm.start_ns, 29 * S);
  struct health h = vm_health(&vm, arch_time_ns() + 100 * S);
  CHECK_EQ(h.verdict, HEALTH_HEALTHY);
  CHECK_EQ(h.reason, HEALTH_R_READY);
  CHECK(fake_event_find("vm-ready") != NULL);
  /* A later crash turns the verdict into a failure. */
  struct fake_step crash = {.exit = {.reason = ARCH_EXIT_SHUTDOWN}};
  fake_vcpu_script(&vm.cpu[0].arch, &crash, 1);
  CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
  CHECK_EQ(vm.state, VM_CRASHED);
  h = vm_health(&vm, arch_time_ns());
  CHECK_EQ(h.verdict, HEALTH_FAILED);
  CHECK_EQ(h.reason, HEALTH_R_CRASHED);
  CHECK(fake_event_find("triple-fault") != NULL);
}

static void test_status_port_never_ready(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  /* The guest idles (halts) and never reports. */
  CHECK_EQ(vm_run(&vm, 100), HV_OK);
  CHECK(vm.cpu[0].halted);
  CHECK_EQ(vm_health(&vm, vm.start_ns + 30 * S).verdict, HEALTH_PENDING);
  struct health h = vm_health(&vm, vm.start_ns + 30 * S + 1);
  CHECK_EQ(h.verdict, HEALTH_FAILED);
  CHECK_EQ(h.reason, HEALTH_R_TIMEOUT);
  /* Readiness after the deadline does not rescue it. */
  fake_time_advance(31 * S);
  guest_pio(&vm, STATUS_PORT_READY, 1, true, 1);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).reason, HEALTH_R_TIMEOUT);
  /* A readiness value other than 1 is logged and ignored. */
  static struct vm vm2;
  new_vm(&vm2, 30, VM_HEALTH_READY);
  guest_pio(&vm2, STATUS_PORT_READY, 1, true, 7);
  CHECK(!vm2.ready);
  const struct fake_event *e = fake_event_find("bad-readiness-value");
  CHECK(e != NULL && e->a == 7);
}

static void test_status_port_exit_one_at_once(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  struct fake_step steps[] = {
      {.exit = {.reason = ARCH_EXIT_IO, .port = STATUS_PORT_EXIT, .size = 1,
                .dir = ARCH_DIR_WRITE, .value = 0x101}, .advance_ns = 5},
      {.exit = {.reason = ARCH_EXIT_IO, .port = STATUS_PORT_READY, .size = 1,
                .dir = ARCH_DIR_WRITE, .value = 1}},
  };
  fake_vcpu_script(&vm.cpu[0].arch, steps, 2);
  CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
  CHECK_EQ(vm.state, VM_EXITED);
  CHECK_EQ(vm.exit_status, 1); /* masked to the 1-byte access */
  CHECK(!vm.ready);            /* the VM never ran again after its exit */
  CHECK_EQ(vm.cpu[0].arch.pos, 1);
  struct health h = vm_health(&vm, arch_time_ns());
  CHECK_EQ(h.verdict, HEALTH_FAILED);
  CHECK_EQ(h.reason, HEALTH_R_EXIT_NONZERO);
  const struct fake_event *e = fake_event_find("vm-exited");
  CHECK(e != NULL && e->a == 1);
  CHECK_EQ(vm_run(&vm, 1), HV_E_STOPPED);
}

static void test_health_exit_zero_kind(void)
{
  static struct vm vm;
  new_vm(&vm, 10, VM_HEALTH_EXIT_ZERO);
  fake_time_advance(3 * S);
  guest_pio(&vm, STATUS_PORT_EXIT, 4, true, 0);
  struct health h = vm_health(&vm, arch_time_ns());
  CHECK_EQ(h.verdict, HEALTH_HEALTHY);
  CHECK_EQ(h.reason, HEALTH_R_EXIT_ZERO);
  new_vm(&vm, 10, VM_HEALTH_EXIT_ZERO);
  guest_pio(&vm, STATUS_PORT_READY, 1, true, 1);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).verdict, HEALTH_PENDING); /* ready is not enough */
  fake_time_advance(11 * S);
  guest_pio(&vm, STATUS_PORT_EXIT, 1, true, 0);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).reason, HEALTH_R_TIMEOUT);
  new_vm(&vm, 10, VM_HEALTH_EXIT_ZERO);
  guest_pio(&vm, STATUS_PORT_EXIT, 1, true, 3);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).reason, HEALTH_R_EXIT_NONZERO);
  /* HEALTH_READY: exit 0 before readiness is a failure. */
  new_vm(&vm, 10, VM_HEALTH_READY);
  guest_pio(&vm, STATUS_PORT_EXIT, 1, true, 0);
  CHECK_EQ(vm_health(&vm, arch_time_ns()).reason, HEALTH_R_EXIT_BEFORE_READY);
}

static void test_bad_exit_reason_stops_only_that_vm(void)
{
  static struct vm a, b;
  new_vm(&a, 30, VM_HEALTH_READY);
  static uint8_t *ram_b;
  if (ram_b == NULL)
    ram_b = ram_alloc(2 * MIB);
  struct vm_config cfg = {"other", 30, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  CHECK_EQ(vm_init(&b, &cfg, ram_b, 2 * MIB), HV_OK);
  CHECK_EQ(vm_start(&b, NULL), HV_OK);
  struct fake_step bad[] = {{.exit = {.reason = ARCH_EXIT_REASON_COUNT}},
                            {.exit = {.reason = 0xffffffffu}}};
  fake_vcpu_script(&a.cpu[0].arch, bad, 2);
  CHECK_EQ(vm_run(&a, 10), HV_E_STOPPED);
  CHECK_EQ(a.state, VM_FAILED);
  CHECK_EQ(a.stop_err, HV_E_EXIT_REASON);
  CHECK_EQ(a.stats.exits_bad_reason, 1);
  const struct fake_event *e = fake_event_find("bad-exit-reason");
  CHECK(e != NULL && e->err == HV_E_EXIT_REASON && e->a == ARCH_EXIT_REASON_COUNT);
  CHECK_EQ(vm_health(&a, arch_time_ns()).reason, HEALTH_R_VM_FAILED);
  /* The other VM still runs. */
  guest_pio(&b, STATUS_PORT_READY, 1, true, 1);
  CHECK(b.ready);
  CHECK_EQ(b.state, VM_RUNNING);
  struct fake_step u = {.exit = {.reason = 0xffffffffu}};
  new_vm(&a, 30, VM_HEALTH_READY);
  fake_vcpu_script(&a.cpu[0].arch, &u, 1);
  CHECK_EQ(vm_run(&a, 10), HV_E_STOPPED);
  CHECK_EQ(a.stop_err, HV_E_EXIT_REASON);
}

static void test_arch_failure_and_entry_failure(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  struct fake_step f = {.fail = true};
  fake_vcpu_script(&vm.cpu[0].arch, &f, 1);
  CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
  CHECK_EQ(vm.state, VM_FAILED);
  CHECK_EQ(vm.stop_err, HV_E_ARCH);
  CHECK(fake_event_find("arch-run-failed") != NULL);
  new_vm(&vm, 30, VM_HEALTH_READY);
  struct fake_step ef = {.exit = {.reason = ARCH_EXIT_ENTRY_FAIL}};
  fake_vcpu_script(&vm.cpu[0].arch, &ef, 1);
  CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
  CHECK_EQ(vm.stop_err, HV_E_ARCH);
  CHECK(fake_event_find("entry-failed") != NULL);
  /* An I/O exit of impossible size is a backend bug: the VM stops, D0 goes on. */
  new_vm(&vm, 30, VM_HEALTH_READY);
  struct fake_step bad = {.exit = {.reason = ARCH_EXIT_IO, .port = 0x80, .size = 3}};
  fake_vcpu_script(&vm.cpu[0].arch, &bad, 1);
  CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
  CHECK(fake_event_find("bad-io-size") != NULL);
}

/* A device in the window that counts what reaches it. */
static unsigned device_hits;
static uint64_t counting_read(void *ctx, uint64_t off, uint8_t size)
{
  (void)ctx, (void)off, (void)size;
  device_hits++;
  return 0x74726976; /* "virt" */
}
static void counting_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  (void)ctx, (void)off, (void)size, (void)v;
  device_hits++;
}

/* Every kind of bad access stops the VM with its own error and never reaches the device behind
 * the faulting GPA; an undecoded access is named by where it went. */
static void test_bad_access_named_and_never_reaches_a_device(void)
{
  static const struct bus_ops counting = {counting_read, counting_write};
  static const struct {
    uint8_t fault;
    uint64_t gpa;
    int err;
  } cases[] = {
      {ARCH_FAULT_PAGE_WALK, 0xd0000000ull, HV_E_PAGE_WALK}, /* page table in the window */
      {ARCH_FAULT_PAGE_WALK, 0x100000000ull, HV_E_PAGE_WALK},
      {ARCH_FAULT_UNDECODED, 0xd0000000ull, HV_E_MMIO_DECODE},
      {ARCH_FAULT_UNDECODED, 0x7fff0000ull, HV_E_RANGE}, /* below the window, above RAM */
      {ARCH_FAULT_FETCH, 0xd0000000ull, HV_E_FETCH},
      {ARCH_FAULT_STRING_IO, 0, HV_E_STRING_IO},
      {ARCH_FAULT_NESTED_TABLE, 0x1000, HV_E_NESTED_TABLE},
      {ARCH_FAULT_EXIT, 0, HV_E_UNHANDLED_EXIT},
      {ARCH_FAULT_OUTSIDE, 0x7fff0000ull, HV_E_RANGE},
  };
  CHECK_EQ(strcmp(hv_strerror(HV_E_PAGE_WALK), "guest-page-walk-outside-ram"), 0);
  CHECK_EQ(strcmp(hv_strerror(HV_E_MMIO_DECODE), "mmio-undecodable"), 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    static struct vm vm;
    new_vm(&vm, 30, VM_HEALTH_READY);
    CHECK_EQ(bus_register(&vm.mmio, 0xd0000000ull, 0x1000, "counting", &counting, NULL), HV_OK);
    device_hits = 0;
    struct fake_step s = {.exit = {.reason = ARCH_EXIT_BAD_ACCESS, .fault = cases[i].fault,
                                   .gpa = gpa_init(cases[i].gpa), .size = 4}};
    fake_vcpu_script(&vm.cpu[0].arch, &s, 1);
    CHECK_EQ(vm_run(&vm, 10), HV_E_STOPPED);
    CHECK_EQ(vm.state, VM_CRASHED);
    CHECK_EQ(vm.stop_err, cases[i].err);
    CHECK_EQ(device_hits, 0);
    const struct fake_event *e = NULL; /* the exit's event (the stop's has dev "vm") */
    for (size_t j = 0; j < fake_events_count(); j++)
      if (strcmp(fake_event_at(j)->dev, "exit") == 0)
        e = fake_event_at(j);
    CHECK(e != NULL && strcmp(e->what, "bad-access") == 0 && e->err == cases[i].err &&
          e->a == cases[i].gpa);
  }
}

/* A token bucket: the burst passes at once, then the rate; every line is logged or counted. */
static void test_log_budget(void)
{
  struct log_budget b;
  log_budget_init(&b, 50, 500, 7 * S);
  unsigned passed = 0;
  for (unsigned i = 0; i < 50000; i++) /* a flood within one instant */
    passed += log_budget_take(&b, 7 * S);
  CHECK_EQ(passed, 500u);
  CHECK_EQ(b.passed, 500u);
  CHECK_EQ(b.dropped, 49500u);
  CHECK(!log_budget_take(&b, 7 * S + 19 * S / 1000)); /* 19 ms: less than a token at 50/s */
  CHECK(log_budget_take(&b, 7 * S + 21 * S / 1000));  /* 21 ms: one */
  CHECK(!log_budget_take(&b, 7 * S + 21 * S / 1000));
  /* One second later: 50 more, not more. */
  passed = 0;
  for (unsigned i = 0; i < 1000; i++)
    passed += log_budget_take(&b, 8 * S + 21 * S / 1000);
  CHECK_EQ(passed, 50u);
  /* A long quiet time refills to the burst only (no overflow after years). */
  passed = 0;
  for (unsigned i = 0; i < 1000; i++)
    passed += log_budget_take(&b, 8 * S + 100000000ull * S);
  CHECK_EQ(passed, 500u);
  CHECK_EQ(b.passed + b.dropped, 50000u + 3u + 1000u + 1000u);
  /* Time going backwards (never expected) neither refills nor breaks the bucket. */
  CHECK(!log_budget_take(&b, 1 * S));
}

/* The guest's CPUID is D0's choice (hv/cpuid.h), whatever the host shows. */
static void test_cpuid_chosen_not_inherited(void)
{
  struct arch_cpuid_result r;
  cpuid_guest_view(0x40000000u, 0, 0, &r); /* D0's leaf, not the host's hypervisor */
  CHECK_EQ(r.eax, CPUID_D0_MAX_LEAF);
  char sig[13] = {0};
  memcpy(sig, &r.ebx, 4), memcpy(sig + 4, &r.ecx, 4), memcpy(sig + 8, &r.edx, 4);
  CHECK_EQ(strcmp(sig, "D0D0D0D0D0D0"), 0);
  cpuid_guest_view(0x40000001u, 0, 0, &r);
  CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
  cpuid_guest_view(0x8000000au, 0, 0, &r); /* SVM features: not there */
  CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
  cpuid_guest_view(0x80000000u, 0, 0, &r);
  CHECK_EQ(r.eax, CPUID_EXT_MAX); /* the host's 0x8000000a is clamped */
  cpuid_guest_view(0x80000001u, 0, 0, &r);
  CHECK_EQ(r.ecx, 1u); /* LAHF passes, SVM does not */
  cpuid_guest_view(1, 0, 0, &r);
  CHECK_EQ(r.ecx, (1u << 31) | 1u); /* SSE3 passes, VMX, x2APIC, TSC-deadline do not */
  CHECK_EQ(r.edx, (1u << 9) | 1u);  /* the APIC is the VM's own (dev/platform/lapic.h) */
  CHECK_EQ(r.ebx >> 24, 0);         /* its ID, not the host CPU's */
  cpuid_guest_view(0, 0, 0, &r);
  CHECK_EQ(r.eax, 0xdu); /* the host's max (below CPUID_BASIC_MAX) */
  cpuid_guest_view(0xb, 0, 0, &r); /* topology: not shown */
  CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
  cpuid_guest_view(0xc0000000u, 0, 0, &r);
  CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
}

static void test_cpuid_msr_counters(void)
{
  static struct vm vm;
  new_vm(&vm, 30, VM_HEALTH_READY);
  struct fake_step steps[] = {
      {.exit = {.reason = ARCH_EXIT_CPUID, .value = 1}, .advance_ns = 100},
      {.exit = {.reason = ARCH_EXIT_INTR}, .advance_ns = 200},
      {.exit = {.reason = ARCH_EXIT_MSR, .msr = 0xc0011234, .dir = ARCH_DIR_READ},
       .advance_ns = 300},
      {.exit = {.reason = ARCH_EXIT_CPUID, .value = 0x80000001u}},
  };
  fake_vcpu_script(&vm.cpu[0].arch, steps, 3);
  CHECK_EQ(vm_run(&vm, 3), HV_OK);
  CHECK_EQ(vm.cpu[0].arch.rcx & (1u << 5), 0);   /* VMX hidden */
  CHECK_EQ(vm.cpu[0].arch.rcx >> 31, 1);         /* hypervisor present */
  CHECK_EQ(vm.cpu[0].arch.rcx & 1, 1);           /* the rest of the host's bits pass */
  CHECK_EQ(vm.cpu[0].arch.last_read, 0);         /* unknown MSR reads 0 */
  CHECK_EQ(vm.stats.msr_unknown, 1);
  CHECK_EQ(vm.stats.exits[ARCH_EXIT_CPUID], 1);
  CHECK_EQ(vm.stats.exits[ARCH_EXIT_INTR], 1);
  CHECK_EQ(vm.stats.run_ns, 600);
  CHECK_EQ(vm.cpu[0].arch.completions, 2);
  fake_vcpu_script(&vm.cpu[0].arch, &steps[3], 1);
  vm_run(&vm, 1);
  CHECK_EQ(vm.cpu[0].arch.rcx & (1u << 2), 0);   /* SVM hidden */
  CHECK_EQ(vm.cpu[0].arch.rcx & 1, 1);
  const struct fake_event *e = fake_event_find("unknown-rdmsr");
  CHECK(e != NULL && e->a == 0xc0011234);
}

void test_vm_all(void)
{
  RUN(test_translate_refuses_outside);
  RUN(test_translate_high_ram_and_hole);
  RUN(test_npt_map_uses_2m_pages_where_aligned);
  RUN(test_bus_registration);
  RUN(test_vm_config_refused);
  RUN(test_unclaimed_port_reads_all_ones);
  RUN(test_dispatch_counts_io_and_mmio_exits);
  RUN(test_status_port_ready_in_time);
  RUN(test_status_port_never_ready);
  RUN(test_status_port_exit_one_at_once);
  RUN(test_health_exit_zero_kind);
  RUN(test_bad_exit_reason_stops_only_that_vm);
  RUN(test_arch_failure_and_entry_failure);
  RUN(test_bad_access_named_and_never_reaches_a_device);
  RUN(test_log_budget);
  RUN(test_cpuid_chosen_not_inherited);
  RUN(test_cpuid_msr_counters);
}
