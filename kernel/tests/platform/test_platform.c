/*
 * The platform behind the real core: a VM from vm_init, its port bus, the exit dispatch and the
 * fake vCPU. The guest side is driven as a guest would drive it (IN/OUT exits); the backend side
 * is the poll / pending / ack sequence documented in platform.h.
 */
#include <stdlib.h>
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/platform.h"
#include "guest_drv.h"
#include "hv/err.h"
#include "hv/exit.h"
#include "check.h"

#define MIB (1024ull * 1024ull)
#define S 1000000000ull
#define T0 (100ull * S)

static struct vm vm;
static struct platform plat;
static uint8_t *ram;
static char last_line[UART_LINE_MAX + 1];
static uint32_t console_lines;
static uint32_t resets;
static bool reset_stops_vm;

static void console(void *ctx, const char *line, size_t len)
{
  (void)ctx;
  memcpy(last_line, line, len);
  last_line[len] = '\0';
  console_lines++;
}

static void on_reset(void *ctx)
{
  resets++;
  if (reset_stops_vm)
    vm_stop(ctx, VM_CRASHED, 0, "reset");
}

static const struct rtc_wall wall = {2025, 6, 9, 13, 5, 58};

static int new_platform_vm(void)
{
  if (ram == NULL) {
    ram = aligned_alloc(2 * MIB, 4 * MIB);
    memset(ram, 0, 4 * MIB);
  }
  struct vm_config cfg = {"web", 30, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  fake_time_set(T0);
  fake_events_clear();
  console_lines = resets = 0;
  reset_stops_vm = true;
  CHECK_EQ(vm_init(&vm, &cfg, ram, 4 * MIB), HV_OK);
  CHECK_EQ(vm_start(&vm, NULL), HV_OK);
  struct platform_config pc = {&wall, T0, console, NULL, on_reset, &vm, 1, NULL, NULL};
  return platform_attach(&plat, &vm.pio, &vm.mmio, &vm.env, &pc);
}

static void outb(uint16_t port, uint8_t v) { guest_pio(&vm, port, 1, true, v); }
static uint8_t inb(uint16_t port) { return (uint8_t)guest_pio(&vm, port, 1, false, 0); }

/* Linux's 8259A setup through v's port exits (vectors 0x30 and 0x38), leaving both chips'
 * masks at `imr`. */
static void pic_init_on(struct vm *v, uint8_t imr)
{
  static const uint8_t seq[][2] = {{0x21, 0xff}, {0xa1, 0xff}, {0x20, 0x11}, {0x21, 0x30},
                                   {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x38},
                                   {0xa1, 0x02}, {0xa1, 0x01}};
  for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
    guest_pio(v, seq[i][0], 1, true, seq[i][1]);
  guest_pio(v, 0x21, 1, true, imr);
  guest_pio(v, 0xa1, 1, true, imr);
}

static void guest_pic_init(void) { pic_init_on(&vm, 0x00); }

/* PIT channel 0 periodic at 250 Hz (mode 2, count 4773): IRQ 0 every 4 ms. */
static void pit_250hz_on(struct vm *v)
{
  guest_pio(v, 0x43, 1, true, 0x34);
  guest_pio(v, 0x40, 1, true, 4773 & 0xff);
  guest_pio(v, 0x40, 1, true, 4773 >> 8);
}

/* A VM with its own platform (vm_config.wall set, as boot/efi makes them), started. */
static void new_vm_own_platform(struct vm *v)
{
  struct vm_config cfg = {"web", 30, VM_HEALTH_READY, &wall, T0, console, NULL, 1};
  fake_time_set(T0);
  fake_events_clear();
  CHECK_EQ(vm_init(v, &cfg, ram, 4 * MIB), HV_OK);
  CHECK_EQ(vm_start(v, NULL), HV_OK);
}

/* The backend's part before an entry: poll timers, then inject and acknowledge one vector. */
static int backend_inject(void)
{
  platform_poll_vcpu(&plat, 0, arch_time_ns());
  int v = platform_pending_vector(&plat, 0);
  if (v >= 0)
    CHECK(platform_ack(&plat, 0, (uint8_t)v));
  return v;
}

static void test_attach_and_refusals(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  CHECK_EQ(vm.pio.count, 10); /* the status port plus the platform's 9 ranges */
  CHECK_EQ(vm.mmio.count, 2); /* the local APIC's and the I/O APIC's pages */
  /* Attaching again collides with the ranges already there. */
  static struct platform again;
  struct platform_config pc = {&wall, T0, NULL, NULL, NULL, NULL, 1, NULL, NULL};
  CHECK_EQ(platform_attach(&again, &vm.pio, &vm.mmio, &vm.env, &pc), HV_E_BUSY);
  vm_destroy(&vm);
  /* A bad host time registers nothing. */
  struct vm_config cfg = {"web", 30, VM_HEALTH_READY, NULL, 0, NULL, NULL, 1};
  CHECK_EQ(vm_init(&vm, &cfg, ram, 4 * MIB), HV_OK);
  struct rtc_wall bad = {2025, 2, 30, 0, 0, 0};
  pc.wall = &bad;
  CHECK_EQ(platform_attach(&plat, &vm.pio, &vm.mmio, &vm.env, &pc), HV_E_INVAL);
  CHECK_EQ(vm.pio.count, 1);
  CHECK_EQ(vm.mmio.count, 0);
  vm_destroy(&vm);
}

static void test_guest_through_exits(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  /* Console through OUT exits. */
  const char *msg = "Booting Linux\r\n";
  for (const char *c = msg; *c; c++)
    outb(0x3f8, (uint8_t)*c);
  CHECK_EQ(console_lines, 1);
  CHECK(strcmp(last_line, "Booting Linux") == 0);
  /* RTC through IN exits. */
  outb(0x70, RTC_HOURS);
  CHECK_EQ(inb(0x71), 0x13);
  outb(0x70, RTC_REG_A);
  CHECK_EQ(inb(0x71) & RTC_A_UIP, 0);
  /* Port 0x61 reaches the PIT's channel 2 gate through the kbc range. */
  outb(0x61, PORT61_GATE2);
  outb(0x43, 0xb0);
  outb(0x42, 0x10);
  outb(0x42, 0x00);
  CHECK_EQ(inb(0x61) & PORT61_OUT2, 0);
  fake_time_advance(pit_ticks_to_ns(16));
  CHECK_EQ(inb(0x61) & PORT61_OUT2, PORT61_OUT2);
  /* POST and DMA page ports keep their byte; A20 reads on. */
  outb(0x80, 0x42);
  CHECK_EQ(inb(0x80), 0x42);
  outb(0x87, 0x99);
  CHECK_EQ(inb(0x87), 0x99);
  CHECK_EQ(inb(0x92), SYS_PORT_A_A20);
  CHECK_EQ(inb(0x64), SYS_KBC_STATUS);
  CHECK_EQ(inb(0x60), SYS_KBC_DATA);
  CHECK_EQ(vm.state, VM_RUNNING);
  CHECK_EQ(vm.stats.pio_unclaimed, 0);
  vm_destroy(&vm);
}

static void test_interrupt_order(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  guest_pic_init();
  CHECK_EQ(backend_inject(), -1);
  /* PIT at 250 Hz, UART THRE interrupt armed, virtio-blk line. */
  pit_250hz_on(&vm);
  outb(0x3f8 + UART_MCR, UART_MCR_OUT2);
  outb(0x3f8 + UART_IER, UART_IER_THRI);
  CHECK_EQ(platform_pending_vector(&plat, 0), 0x34);
  fake_time_advance(5000000); /* 5 ms: one tick due */
  uint64_t raised = plat.raised;
  platform_irq_set_level(&plat, 5, true);
  platform_irq_set_level(&plat, 5, true); /* still high: not raised again */
  CHECK_EQ(plat.raised, raised + 1);
  /* IR0 first, then nothing until its EOI, then IR4, then IR5. */
  CHECK_EQ(backend_inject(), 0x30);
  CHECK_EQ(backend_inject(), -1);
  outb(0x20, 0x20);
  CHECK_EQ(backend_inject(), 0x34);
  /* The guest's 8250 handler reads IIR (THRE), which lowers the UART's line. */
  CHECK_EQ(inb(0x3f8 + UART_IIR) & 0x0f, UART_IIR_THRI);
  outb(0x20, 0x20);
  CHECK_EQ(backend_inject(), 0x35);
  outb(0x20, 0x65);
  platform_irq_set_level(&plat, 5, false);
  CHECK_EQ(backend_inject(), -1);
  CHECK_EQ(plat.raised, raised + 1); /* lowering is no raise */
  /* A slave line (e.g. a device on GSI 10) through the cascade, EOI'd in Linux's order. */
  platform_irq_set_level(&plat, 10, true);
  CHECK_EQ(backend_inject(), 0x3a);
  outb(0xa0, 0x62);
  outb(0x20, 0x62);
  platform_irq_set_level(&plat, 10, false);
  CHECK_EQ(backend_inject(), -1);
  CHECK_EQ(plat.raised, raised + 2); /* line 10 once */
  platform_irq_set_level(&plat, 20, true); /* out of range: refused by the PIC, never counted */
  platform_irq_set_level(&plat, 2, true);  /* the cascade input: no device's line, refused too */
  CHECK_EQ(plat.raised, raised + 2);
  /* The next PIT period: the deadline the backend would arm. */
  uint64_t d = platform_poll_vcpu(&plat, 0, arch_time_ns());
  CHECK(d > arch_time_ns());
  CHECK(d - arch_time_ns() <= 4000228);
  fake_time_set(d);
  CHECK_EQ(backend_inject(), 0x30);
  /* A masked line stays pending in IRR without being delivered. */
  outb(0x20, 0x20);
  outb(0x21, 0x40);
  platform_irq_set_level(&plat, 6, true);
  CHECK_EQ(backend_inject(), -1);
  outb(0x20, 0x0a);
  CHECK_EQ(inb(0x20) & 0x40, 0x40);
  outb(0x21, 0x00);
  CHECK_EQ(backend_inject(), 0x36);
  vm_destroy(&vm);
}

static void test_reset_requests(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  outb(0x92, SYS_PORT_A_A20 | SYS_PORT_A_RESET);
  CHECK_EQ(resets, 1);
  CHECK_EQ(vm.state, VM_CRASHED);
  CHECK(fake_event_find("reset") != NULL);
  CHECK(fake_event_find("reset-port92") != NULL);
  vm_destroy(&vm);

  CHECK_EQ(new_platform_vm(), HV_OK);
  outb(0x64, 0xd1); /* another i8042 command: ignored */
  CHECK_EQ(vm.state, VM_RUNNING);
  CHECK(fake_event_find("kbc-command-ignored") != NULL);
  /* Status reads as no controller (Linux's probe gives up at once); a reset pulse still works. */
  CHECK_EQ(inb(0x64), 0xff);
  outb(0x64, SYS_KBC_CMD_RESET);
  CHECK_EQ(resets, 1);
  CHECK_EQ(vm.state, VM_CRASHED);
  CHECK(fake_event_find("reset-kbc") != NULL);
  vm_destroy(&vm);

  /* Only a 0->1 transition of port A bit 0 resets. */
  CHECK_EQ(new_platform_vm(), HV_OK);
  reset_stops_vm = false;
  outb(0x92, 0x03);
  outb(0x92, 0x03);
  CHECK_EQ(resets, 1);
  outb(0x92, 0x02);
  outb(0x92, 0x03);
  CHECK_EQ(resets, 2);
  outb(0x92, 0x00); /* A20 off is not possible: logged */
  CHECK(fake_event_find("a20-disable-ignored") != NULL);
  CHECK_EQ(inb(0x92), SYS_PORT_A_A20);
  vm_destroy(&vm);
}

static void test_hostile_accesses(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  /* Straddling the UART's end: not the UART's, all ones, counted by the core. */
  CHECK_EQ(guest_pio(&vm, 0x3fe, 4, false, 0), 0xffffffffu);
  CHECK_EQ(vm.stats.pio_unclaimed, 1);
  /* The APICs answer at their pages; nothing behind the HPET's window. */
  CHECK_EQ(guest_mmio(&vm, 0xfee00030, 4, false, 0), VLAPIC_VERSION_VALUE);
  CHECK_EQ(guest_mmio(&vm, 0xfec00000, 4, false, 0), 0); /* IOREGSEL */
  CHECK_EQ(guest_mmio(&vm, 0xfed00000, 4, false, 0), 0xffffffffu);
  CHECK_EQ(vm.stats.mmio_unclaimed, 1);
  /* Empty ports inside the kbc range: all ones, logged with a budget. */
  fake_events_clear();
  for (int i = 0; i < 100; i++)
    CHECK_EQ(inb(0x62), 0xff);
  size_t logged = 0;
  for (size_t i = 0; i < fake_events_count(); i++)
    if (strcmp(fake_event_at(i)->what, "read-empty-port") == 0)
      logged++;
  CHECK_EQ(logged, PLATFORM_LOG_LIMIT);
  CHECK_EQ(plat.sys.log.count, 100);
  /* A 2-byte IN on a 1-port device is not the device's (the core answers). */
  CHECK_EQ(guest_pio(&vm, 0x80, 2, false, 0), 0xffff);
  /* An 8-byte port access is refused by the core before any device sees it. */
  guest_pio(&vm, 0x3f8, 8, true, 0x41);
  CHECK_EQ(vm.state, VM_FAILED);
  CHECK_EQ(console_lines, 0);
  vm_destroy(&vm);
}

/* Random port traffic, lines and acknowledgements: nothing may crash (ASan/UBSan), every
 * delivered vector lies in a range the guest programmed, and D0 keeps running the VM. */
static void test_random_traffic(void)
{
  CHECK_EQ(new_platform_vm(), HV_OK);
  reset_stops_vm = false;
  guest_pic_init();
  static const uint16_t ports[] = {0x20, 0x21, 0xa0, 0xa1, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61,
                                   0x62, 0x63, 0x64, 0x70, 0x71, 0x80, 0x87, 0x92, 0x3f8, 0x3f9,
                                   0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff};
  static const uint8_t sizes[] = {1, 1, 1, 2, 4};
  uint64_t x = 0x9e3779b97f4a7c15ull;
  uint32_t bad_vectors = 0, delivered = 0;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint16_t port = ports[x % (sizeof(ports) / sizeof(ports[0]))];
    uint8_t size = sizes[(x >> 8) % sizeof(sizes)];
    bool write = (x >> 16) & 1;
    struct arch_exit e = {.reason = ARCH_EXIT_IO, .size = size, .port = port,
                          .dir = write ? ARCH_DIR_WRITE : ARCH_DIR_READ, .value = x >> 24};
    exit_dispatch(&vm, &e);
    if ((x >> 40) % 8 == 0)
      platform_irq_set_level(&plat, (uint32_t)((x >> 44) % 20), (x >> 50) & 1);
    if ((x >> 52) % 4 == 0) {
      fake_time_advance((x >> 54) * 1000);
      platform_poll_vcpu(&plat, 0, arch_time_ns());
      int v = platform_pending_vector(&plat, 0);
      if (v >= 0) {
        uint8_t mb = plat.pic.chip[0].vector_base, sb = plat.pic.chip[1].vector_base;
        if (!((v >= mb && v < mb + 8) || (v >= sb && v < sb + 8)))
          bad_vectors++;
        if (platform_ack(&plat, 0, (uint8_t)((x >> 60) == 0 ? v + 1 : v)))
          delivered++;
      }
    }
  }
  CHECK_EQ(bad_vectors, 0);
  CHECK(delivered > 100);
  CHECK_EQ(vm.state, VM_RUNNING);
  CHECK(plat.uart.bytes > 500); /* the traffic did reach the UART */
  uart_flush(&plat.uart);
  vm_destroy(&vm);
}

/* One RDMSR/WRMSR exit through vm_run; returns what the guest's EDX:EAX received. */
static uint64_t guest_msr(struct vm *v, uint32_t msr, bool write, uint64_t value)
{
  static struct fake_step step;
  memset(&step, 0, sizeof(step));
  step.exit = (struct arch_exit){.reason = ARCH_EXIT_MSR, .msr = msr,
                                 .dir = write ? ARCH_DIR_WRITE : ARCH_DIR_READ, .value = value};
  fake_vcpu_script(&v->cpu[0].arch, &step, 1);
  v->cpu[0].arch.last_read = 0xdeadbeefdeadbeefull;
  vm_run(v, 1);
  return v->cpu[0].arch.last_read;
}

/*
 * The local APIC behind the real core, driven as Linux's "virtual wire no-config" mode drives it
 * (the VM's own platform, from vm_init): IA32_APIC_BASE through MSR exits, the APIC's page
 * through MMIO exits, the timer's interrupt and the PIC's ISA lines (through LINT0, ExtINT)
 * injected by vm_run, the APIC's first.
 */
static void test_local_apic_virtual_wire(void)
{
  static struct vm v;
  new_vm_own_platform(&v);
  CHECK(v.has_platform);
  CHECK_EQ(guest_msr(&v, VLAPIC_MSR_APIC_BASE, false, 0), 0xfee00900ull);
  CHECK_EQ(v.stats.msr_unknown, 0);
  CHECK_EQ(mmio_r(&v, VLAPIC_MMIO_BASE + VLAPIC_VERSION), VLAPIC_VERSION_VALUE);
  /* The PIC at vectors 0x30.., unmasked; the PIT ticking. */
  pic_init_on(&v, 0x00);
  pit_250hz_on(&v);
  /* setup_local_APIC: enabled, LINT0 ExtINT; the timer one-shot at 0xec, divide by 16. */
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_SVR, 0x1ff);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_LVT_LINT0, 0x700);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_LVT_TIMER, 0xec);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_TDCR, 0x3);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_TMICT, 1000); /* 16 us */
  uint32_t injected = v.cpu[0].arch.injected_count;
  fake_time_advance(5 * 1000000ull); /* both the PIT's IRQ 0 and the APIC timer are due */
  guest_pio(&v, 0x80, 1, true, 0);   /* any exit: vm_run delivers before the entry */
  CHECK_EQ(v.cpu[0].arch.injected_count, injected + 1);
  CHECK_EQ(v.cpu[0].arch.injected[injected], 0xec);
  guest_pio(&v, 0x80, 1, true, 0);
  CHECK_EQ(v.cpu[0].arch.injected[injected + 1], 0x30); /* the PIC's, through LINT0 */
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_EOI, 0);
  guest_pio(&v, 0x20, 1, true, 0x20);
  /* LINT0 masked: the PIC's next IRQ 0 waits in its IRR and reaches nobody. */
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_LVT_LINT0, 0x10700);
  fake_time_advance(5 * 1000000ull);
  uint32_t before = v.cpu[0].arch.injected_count;
  guest_pio(&v, 0x80, 1, true, 0);
  CHECK_EQ(v.cpu[0].arch.injected_count, before);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_LVT_LINT0, 0x700); /* delivered before the next entry */
  guest_pio(&v, 0x80, 1, true, 0);
  CHECK_EQ(v.cpu[0].arch.injected_count, before + 1);
  CHECK_EQ(v.cpu[0].arch.injected[before], 0x30);
  /* The APIC off (IA32_APIC_BASE.EN clear): the PIC reaches the CPU directly; the page reads
   * all ones; an x2APIC request is refused. */
  guest_msr(&v, VLAPIC_MSR_APIC_BASE, true, 0xfee00100ull);
  CHECK(!v.platform.lapic[0].on);
  CHECK_EQ(mmio_r(&v, VLAPIC_MMIO_BASE + VLAPIC_VERSION), 0xffffffffu);
  guest_msr(&v, VLAPIC_MSR_APIC_BASE, true, 0xfee00d00ull);
  CHECK(!v.platform.lapic[0].on);
  CHECK(fake_event_find("apic-base-refused") != NULL);
  CHECK_EQ(v.stats.msr_unknown, 0);
  CHECK_EQ(v.state, VM_RUNNING);
  vm_destroy(&v);
}

/* Symmetric I/O mode as Linux sets it up from D0's MP table: the 8259A masked, LINT0's ExtINT
 * masked, the ISA lines through the I/O APIC (IRQ 0 on pin 2), edge-triggered, to APIC 0. */
static void test_ioapic_symmetric_io(void)
{
  static struct vm v;
  new_vm_own_platform(&v);
  pic_init_on(&v, 0xff); /* the 8259A fully masked, as Linux leaves it with an I/O APIC */
  pit_250hz_on(&v);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_SVR, 0x1ff);
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_LVT_LINT0, 0x10700);
  CHECK_EQ((mmio_r(&v, VIOAPIC_MMIO_BASE + VIOAPIC_IOWIN) >> 16) & 0xff, 0); /* ID register */
  static const uint32_t pins[][2] = {{2, 0x30}, {5, 0x25}};
  for (size_t i = 0; i < 2; i++) {
    mmio_w(&v, VIOAPIC_MMIO_BASE + VIOAPIC_IOREGSEL, VIOAPIC_REG_REDIR + 2 * pins[i][0] + 1);
    mmio_w(&v, VIOAPIC_MMIO_BASE + VIOAPIC_IOWIN, 0);
    mmio_w(&v, VIOAPIC_MMIO_BASE + VIOAPIC_IOREGSEL, VIOAPIC_REG_REDIR + 2 * pins[i][0]);
    mmio_w(&v, VIOAPIC_MMIO_BASE + VIOAPIC_IOWIN, pins[i][1]);
  }
  uint32_t before = v.cpu[0].arch.injected_count;
  fake_time_advance(5 * 1000000ull); /* the PIT's IRQ 0 is due */
  guest_pio(&v, 0x80, 1, true, 0);
  CHECK_EQ(v.cpu[0].arch.injected_count, before + 1);
  CHECK_EQ(v.cpu[0].arch.injected[before], 0x30); /* through pin 2, not the (masked) 8259A */
  mmio_w(&v, VLAPIC_MMIO_BASE + VLAPIC_EOI, 0);
  platform_irq_set_level(&v.platform, 5, true); /* virtio-blk's line */
  guest_pio(&v, 0x80, 1, true, 0);
  CHECK_EQ(v.cpu[0].arch.injected[before + 1], 0x25);
  CHECK_EQ(v.platform.ioapic.delivered, 2);
  CHECK_EQ(v.cpu[0].arch.injected_count, before + 2); /* nothing else: the 8259A stays masked */
  CHECK_EQ(v.state, VM_RUNNING);
  vm_destroy(&v);
}

void test_platform_all(void)
{
  RUN(test_attach_and_refusals);
  RUN(test_guest_through_exits);
  RUN(test_interrupt_order);
  RUN(test_reset_requests);
  RUN(test_hostile_accesses);
  RUN(test_random_traffic);
  RUN(test_local_apic_virtual_wire);
  RUN(test_ioapic_symmetric_io);
}
