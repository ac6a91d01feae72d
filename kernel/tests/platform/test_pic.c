/* The 8259A pair: Linux's probe and init sequence, priorities, cascade, EOI, OCW3, poll, level
 * mode, auto-EOI, stale acknowledgements and hostile lines. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/pic.h"
#include "check.h"

static struct pic pic;

static void out(uint16_t port, uint8_t v)
{
  if (port >= PIC_SLAVE_PORT)
    pic_slave_ops.write(&pic, port - PIC_SLAVE_PORT, 1, v);
  else
    pic_master_ops.write(&pic, port - PIC_MASTER_PORT, 1, v);
}

static uint8_t in(uint16_t port)
{
  if (port >= PIC_SLAVE_PORT)
    return (uint8_t)pic_slave_ops.read(&pic, port - PIC_SLAVE_PORT, 1);
  return (uint8_t)pic_master_ops.read(&pic, port - PIC_MASTER_PORT, 1);
}

/* arch/x86/kernel/i8259.c init_8259A(auto_eoi = 0): vectors 0x30 and 0x38, cascade on IR2. */
static void linux_init(bool auto_eoi)
{
  out(0x21, 0xff);
  out(0xa1, 0xff);
  out(0x20, 0x11);
  out(0x21, 0x30);
  out(0x21, 1u << PIC_CASCADE_IRQ);
  out(0x21, auto_eoi ? 0x03 : 0x01);
  out(0xa0, 0x11);
  out(0xa1, 0x38);
  out(0xa1, PIC_CASCADE_IRQ);
  out(0xa1, 0x01);
  out(0x21, 0x00);
  out(0xa1, 0x00);
}

static void fresh(void)
{
  fake_events_clear();
  pic_init(&pic, NULL);
}

static void test_probe_and_init(void)
{
  fresh();
  CHECK_EQ(in(0x21), 0xff); /* masked until programmed */
  /* probe_8259A: mask everything, write 0xfb, read it back. */
  out(0x21, 0xff);
  out(0xa1, 0xff);
  out(0x21, 0xfb);
  CHECK_EQ(in(0x21), 0xfb);
  linux_init(false);
  CHECK_EQ(pic.chip[0].vector_base, 0x30);
  CHECK_EQ(pic.chip[1].vector_base, 0x38);
  CHECK_EQ(pic.chip[0].icw3, 0x04);
  CHECK_EQ(pic.chip[1].icw3, 0x02);
  CHECK(!pic.chip[0].auto_eoi);
  CHECK_EQ(pic.chip[0].init_step, 0);
  CHECK_EQ(in(0x21), 0x00);
  CHECK_EQ(pic_pending(&pic), -1);
  /* ICW1 clears IMR and ISR and restarts the sequence; the next odd-port byte is ICW2. */
  out(0x21, 0x55);
  out(0x20, 0x11);
  CHECK_EQ(in(0x21), 0x00);
  out(0x21, 0x40);
  CHECK_EQ(pic.chip[0].vector_base, 0x40);
  CHECK_EQ(in(0x21), 0x00); /* ICW2 did not land in IMR */
}

static void test_priority_and_eoi(void)
{
  fresh();
  linux_init(false);
  pic_set_irq(&pic, 4, true);
  pic_set_irq(&pic, 0, true);
  CHECK_EQ(pic_pending(&pic), 0x30); /* IR0 beats IR4 */
  CHECK(pic_ack(&pic, 0x30));
  /* IR0 in service: IR4 is lower priority and must wait. */
  CHECK_EQ(pic_pending(&pic), -1);
  out(0x20, 0x0b); /* OCW3: read ISR */
  CHECK_EQ(in(0x20), 0x01);
  out(0x20, 0x0a); /* OCW3: read IRR */
  CHECK_EQ(in(0x20), 0x10);
  out(0x20, 0x20); /* non-specific EOI */
  CHECK_EQ(pic_pending(&pic), 0x34);
  CHECK(pic_ack(&pic, 0x34));
  /* A higher priority request nests while IR4 is in service. */
  pic_set_irq(&pic, 0, false);
  pic_set_irq(&pic, 0, true);
  CHECK_EQ(pic_pending(&pic), 0x30);
  CHECK(pic_ack(&pic, 0x30));
  out(0x20, 0x0b);
  CHECK_EQ(in(0x20), 0x11);
  out(0x20, 0x20); /* non-specific EOI clears the highest in service: IR0 */
  CHECK_EQ(in(0x20), 0x10);
  out(0x20, 0x64); /* specific EOI for IR4 */
  CHECK_EQ(in(0x20), 0x00);
  CHECK_EQ(pic_pending(&pic), -1);
}

static void test_mask_and_edge(void)
{
  fresh();
  linux_init(false);
  out(0x21, 0x10); /* mask IR4 */
  pic_set_irq(&pic, 4, true);
  CHECK_EQ(pic_pending(&pic), -1);
  out(0x20, 0x0a);
  CHECK_EQ(in(0x20), 0x10); /* requested but masked */
  out(0x21, 0x00);
  CHECK_EQ(pic_pending(&pic), 0x34);
  CHECK(pic_ack(&pic, 0x34));
  out(0x20, 0x20);
  /* Edge mode: the line is still high but no new edge: no new request. */
  CHECK_EQ(pic_pending(&pic), -1);
  pic_set_irq(&pic, 4, false);
  pic_set_irq(&pic, 4, true);
  CHECK_EQ(pic_pending(&pic), 0x34);
}

static void test_cascade(void)
{
  fresh();
  linux_init(false);
  pic_set_irq(&pic, 14, true);
  CHECK_EQ(pic_pending(&pic), 0x3e);
  pic_set_irq(&pic, 5, true);
  CHECK_EQ(pic_pending(&pic), 0x3e); /* IR2 (the whole slave) outranks IR5 */
  CHECK(pic_ack(&pic, 0x3e));
  CHECK_EQ(pic.chip[0].isr, 0x04);
  CHECK_EQ(pic.chip[1].isr, 0x40);
  CHECK_EQ(pic_pending(&pic), -1); /* IR5 waits for the cascade's EOI */
  /* Linux's order for a slave IRQ: specific EOI to the slave, then to the master's IR2. */
  out(0xa0, 0x60 | 6);
  out(0x20, 0x60 | PIC_CASCADE_IRQ);
  CHECK_EQ(pic_pending(&pic), 0x35);
  /* A slave line masked on the slave never reaches the master. */
  CHECK(pic_ack(&pic, 0x35));
  out(0x20, 0x20);
  out(0xa1, 0x01);
  pic_set_irq(&pic, 8, true);
  CHECK_EQ(pic_pending(&pic), -1);
  out(0xa1, 0x00);
  CHECK_EQ(pic_pending(&pic), 0x38);
}

static void test_spurious_and_stale_ack(void)
{
  fresh();
  linux_init(false);
  pic_set_irq(&pic, 3, true);
  CHECK_EQ(pic_pending(&pic), 0x33);
  /* The guest masks IR3 between the backend's look and the injection. */
  out(0x21, 0x08);
  CHECK(!pic_ack(&pic, 0x33));
  CHECK_EQ(pic.stale_acks, 1);
  CHECK_EQ(pic.chip[0].isr, 0);
  CHECK(fake_event_find("stale-ack") != NULL);
  /* The slave withdraws after the master latched IR2: the slave's IR7 vector, no ISR bit. */
  out(0x20, 0x23); /* specific EOI, nothing in service: harmless */
  pic_set_irq(&pic, 9, true);
  CHECK_EQ(pic.chip[0].irr & 0x04, 0x04);
  out(0xa1, 0x02);
  CHECK_EQ(pic_pending(&pic), 0x3f);
  CHECK(pic_ack(&pic, 0x3f));
  CHECK_EQ(pic.spurious, 1);
  CHECK_EQ(pic.chip[1].isr, 0);
}

static void test_poll_level_aeoi_rotation(void)
{
  fresh();
  linux_init(false);
  pic_set_irq(&pic, 6, true);
  out(0x20, 0x0c); /* OCW3 poll */
  CHECK_EQ(in(0x20), 0x86);
  CHECK_EQ(pic.chip[0].isr, 0x40);
  out(0x20, 0x0c);
  CHECK_EQ(in(0x20), 0x00); /* nothing more */
  out(0x20, 0x20);

  /* Level mode: the request follows the line, survives INTA, and ends when the line drops. */
  fresh();
  out(0x20, 0x19);
  out(0x21, 0x30);
  out(0x21, 0x04);
  out(0x21, 0x01);
  out(0x21, 0x00);
  pic_set_irq(&pic, 5, true);
  CHECK(pic_ack(&pic, 0x35));
  out(0x20, 0x20);
  CHECK_EQ(pic_pending(&pic), 0x35); /* still high: asks again */
  pic_set_irq(&pic, 5, false);
  CHECK_EQ(pic_pending(&pic), -1);

  /* Auto-EOI: nothing stays in service. */
  fresh();
  linux_init(true);
  pic_set_irq(&pic, 1, true);
  CHECK(pic_ack(&pic, 0x31));
  CHECK_EQ(pic.chip[0].isr, 0);
  pic_set_irq(&pic, 7, true);
  CHECK_EQ(pic_pending(&pic), 0x37);

  /* Set priority: IR3 lowest makes IR4 the highest. */
  fresh();
  linux_init(false);
  out(0x20, 0xc3);
  pic_set_irq(&pic, 0, true);
  pic_set_irq(&pic, 4, true);
  CHECK_EQ(pic_pending(&pic), 0x34);
  /* Rotate on non-specific EOI: the serviced IR becomes lowest. */
  CHECK(pic_ack(&pic, 0x34));
  out(0x20, 0xa0);
  CHECK_EQ(pic.chip[0].priority_low, 4);
  CHECK_EQ(pic_pending(&pic), 0x30);
}

static void test_hostile(void)
{
  fresh();
  linux_init(false);
  pic_set_irq(&pic, 16, true);
  pic_set_irq(&pic, 0xffffffffu, true);
  pic_set_irq(&pic, PIC_CASCADE_IRQ, true); /* IR2 is not a device line */
  CHECK_EQ(pic_pending(&pic), -1);
  CHECK(fake_event_find("bad-irq-line") != NULL);
  /* ICW4 without the x86 bit is logged. */
  out(0x20, 0x11);
  out(0x21, 0x30);
  out(0x21, 0x04);
  out(0x21, 0x00);
  CHECK(fake_event_find("icw4-8080-mode") != NULL);
  /* A 2-byte write at the even port is two byte writes: OCW2/3 then IMR. */
  pic_master_ops.write(&pic, 0, 2, 0xa50b);
  CHECK_EQ(in(0x21), 0xa5);
  CHECK(pic.chip[0].read_isr);
  CHECK_EQ(pic_master_ops.read(&pic, 0, 2), 0xa500); /* ISR (0) then IMR */
  /* Ack with nothing pending. */
  CHECK(!pic_ack(&pic, 0x30));
  /* Log budget: many bad lines, few events. */
  fresh();
  for (int i = 0; i < 1000; i++)
    pic_set_irq(&pic, 99, true);
  CHECK_EQ(fake_events_count(), PLATFORM_LOG_LIMIT);
}

void test_pic_all(void)
{
  RUN(test_probe_and_init);
  RUN(test_priority_and_eoi);
  RUN(test_mask_and_edge);
  RUN(test_cascade);
  RUN(test_spurious_and_stale_ack);
  RUN(test_poll_level_aeoi_rotation);
  RUN(test_hostile);
}
