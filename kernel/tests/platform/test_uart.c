/* The 16550A: Linux 8250 autoconfig and the THRE re-assert test, console lines, escaping and
 * splitting, loopback, interrupt identification and the OUT2-gated IRQ pin. */
#include <string.h>

#include "arch/fake/fake.h"
#include "dev/platform/uart.h"
#include "check.h"

static struct uart uart;
static char lines[16][UART_LINE_MAX + 1];
static size_t line_lens[16];
static size_t nlines;
static bool irq_level;
static uint32_t irq_rises;

static void sink(void *ctx, const char *line, size_t len)
{
  (void)ctx;
  if (nlines < 16) {
    memcpy(lines[nlines], line, len);
    lines[nlines][len] = '\0';
    line_lens[nlines] = len;
  }
  nlines++;
}

static void irq(void *ctx, bool level)
{
  (void)ctx;
  if (level && !irq_level)
    irq_rises++;
  irq_level = level;
}

static void out(uint8_t off, uint8_t v) { uart_ops.write(&uart, off, 1, v); }
static uint8_t in(uint8_t off) { return (uint8_t)uart_ops.read(&uart, off, 1); }
static void puts_uart(const char *s)
{
  while (*s)
    out(UART_THR, (uint8_t)*s++);
}

static void fresh(void)
{
  fake_events_clear();
  nlines = 0;
  irq_level = false;
  irq_rises = 0;
  uart_init(&uart, NULL, sink, NULL, irq, NULL);
}

/* drivers/tty/serial/8250/8250_port.c autoconfig() with UPF_SKIP_TEST off (the stricter path). */
static void test_linux_autoconfig(void)
{
  fresh();
  uint8_t scratch = in(UART_IER);
  out(UART_IER, 0);
  uint8_t scratch2 = in(UART_IER) & 0x0f;
  out(UART_IER, 0x0f);
  uint8_t scratch3 = in(UART_IER) & 0x0f;
  out(UART_IER, scratch);
  CHECK_EQ(scratch2, 0);
  CHECK_EQ(scratch3, 0x0f);
  uint8_t save_mcr = in(UART_MCR), save_lcr = in(UART_LCR);
  out(UART_MCR, UART_MCR_LOOP | 0x0a);
  CHECK_EQ(in(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
  out(UART_MCR, save_mcr);
  /* LCR 0xBF (conf mode B), EFR <- 0 (our FCR), LCR 0, FCR enable: IIR[7:6] = 3 = 16550A. */
  out(UART_LCR, 0xbf);
  out(UART_FCR, 0);
  out(UART_LCR, 0);
  out(UART_FCR, UART_FCR_ENABLE);
  CHECK_EQ(in(UART_IIR) >> 6, 3);
  out(UART_LCR, save_lcr);
  /* Scratch register round trip (8250's probe for a 16450 vs 8250). */
  out(UART_SCR, 0xa5);
  CHECK_EQ(in(UART_SCR), 0xa5);
  out(UART_SCR, 0x5a);
  CHECK_EQ(in(UART_SCR), 0x5a);
  /* serial8250_do_startup: LSR must not read 0xff. */
  CHECK(in(UART_LSR) != 0xff);
  CHECK_EQ(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
  /* Divisor latch (115200 / 9600 = 12) behind DLAB, IER untouched. */
  out(UART_IER, 0x05);
  out(UART_LCR, UART_LCR_DLAB | 0x03);
  out(UART_DLL, 12);
  out(UART_DLM, 0);
  CHECK_EQ(in(UART_DLL), 12);
  CHECK_EQ(in(UART_DLM), 0);
  out(UART_LCR, 0x03);
  CHECK_EQ(in(UART_IER), 0x05);
  CHECK_EQ(uart.dll, 12);
  CHECK_EQ(nlines, 0); /* no divisor byte reached the console */
}

/* serial8250_do_startup's THRE test: ETBEI on -> IIR says THRE; off and on again -> again. */
static void test_thre_reassert(void)
{
  fresh();
  out(UART_FCR, UART_FCR_ENABLE);
  out(UART_IER, UART_IER_THRI);
  uint8_t iir1 = in(UART_IIR);
  out(UART_IER, 0);
  out(UART_IER, UART_IER_THRI);
  uint8_t iir = in(UART_IIR);
  out(UART_IER, 0);
  CHECK_EQ(iir1, UART_IIR_FIFO | UART_IIR_THRI);
  CHECK_EQ(iir, UART_IIR_FIFO | UART_IIR_THRI);
  /* Reading IIR consumed it: no interrupt now. */
  out(UART_IER, UART_IER_THRI);
  CHECK_EQ(in(UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
  CHECK_EQ(in(UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
  /* Writing THR re-arms it (the byte is gone at once). */
  out(UART_THR, 'x');
  CHECK_EQ(in(UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
}

static void test_irq_pin(void)
{
  fresh();
  out(UART_IER, UART_IER_THRI);
  CHECK(!irq_level); /* OUT2 low: the PC's IRQ line is not driven */
  out(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
  CHECK(irq_level);
  CHECK_EQ(irq_rises, 1);
  in(UART_IIR); /* THRE consumed: the line drops */
  CHECK(!irq_level);
  out(UART_THR, 'a');
  CHECK(irq_level);
  CHECK_EQ(irq_rises, 2);
  out(UART_IER, 0);
  CHECK(!irq_level);
  /* Loopback: bytes come back as received data; the pin stays quiet. */
  out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
  out(UART_IER, UART_IER_RDI);
  out(UART_THR, 0x42);
  out(UART_THR, 0x43);
  CHECK(!irq_level);
  CHECK_EQ(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
  CHECK_EQ(in(UART_IIR) & 0x0f, UART_IIR_RDI);
  CHECK_EQ(in(UART_RBR), 0x42);
  CHECK_EQ(in(UART_RBR), 0x43);
  CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
  CHECK_EQ(in(UART_RBR), 0); /* empty */
  CHECK_EQ(in(UART_MSR), UART_MSR_DCD);
  /* Loopback bytes never reach the console: only the 'a' sent before loopback. */
  uart_flush(&uart);
  CHECK_EQ(nlines, 1);
  CHECK(strcmp(lines[0], "a") == 0);
  /* Received data outside loopback raises the pin through OUT2. */
  out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
  out(UART_THR, 0x44);
  out(UART_MCR, UART_MCR_OUT2);
  CHECK(irq_level);
  in(UART_RBR);
  CHECK(!irq_level);
  /* More than 16 loopback bytes: the rest is dropped and logged. */
  out(UART_MCR, UART_MCR_LOOP);
  for (int i = 0; i < 20; i++)
    out(UART_THR, (uint8_t)i);
  CHECK_EQ(uart.rx_count, UART_RX_FIFO);
  CHECK(fake_event_find("rx-overrun") != NULL);
  out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
  CHECK_EQ(uart.rx_count, 0);
}

static void test_console_lines(void)
{
  fresh();
  puts_uart("Linux version 6.1\r\n");
  puts_uart("second ");
  CHECK_EQ(nlines, 1);
  CHECK(strcmp(lines[0], "Linux version 6.1") == 0);
  puts_uart("half\n\n");
  CHECK_EQ(nlines, 3);
  CHECK(strcmp(lines[1], "second half") == 0);
  CHECK(strcmp(lines[2], "") == 0);
  /* Every other byte goes to the sink as written (the boot log escapes it). */
  out(UART_THR, 0x1b);
  puts_uart("[0m\t\\");
  out(UART_THR, 0xc3);
  out(UART_THR, 0xa9);
  out(UART_THR, 0x00);
  puts_uart("\n");
  CHECK_EQ(line_lens[3], 9);
  CHECK(memcmp(lines[3], "\x1b[0m\t\\\xc3\xa9\x00", 9) == 0);
  /* A long line is split at UART_LINE_MAX. */
  fresh();
  for (int i = 0; i < 600; i++)
    out(UART_THR, (uint8_t)('a' + i % 26));
  CHECK_EQ(nlines, 2);
  CHECK_EQ(strlen(lines[0]), UART_LINE_MAX);
  CHECK_EQ(strlen(lines[1]), UART_LINE_MAX);
  uart_flush(&uart);
  CHECK_EQ(nlines, 3);
  CHECK_EQ(strlen(lines[2]), 600 - 2 * UART_LINE_MAX);
  uart_flush(&uart); /* nothing left: no empty line */
  CHECK_EQ(nlines, 3);
  fresh();
  for (int i = 0; i < 254; i++)
    out(UART_THR, 'z');
  out(UART_THR, 0x01);
  CHECK_EQ(nlines, 0); /* one byte is one byte of the line, whatever it is */
  uart_flush(&uart);
  CHECK_EQ(nlines, 1);
  CHECK_EQ(line_lens[0], 255);
  CHECK_EQ(lines[0][254], 0x01);
  CHECK_EQ(uart.bytes, 255);
}

static void test_hostile(void)
{
  fresh();
  out(UART_LSR, 0);
  out(UART_MSR, 0);
  CHECK(fake_event_find("write-read-only-register") != NULL);
  CHECK_EQ(in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
  out(UART_IER, 0xff);
  CHECK_EQ(in(UART_IER), 0x0f);
  CHECK(fake_event_find("ier-reserved-bits") != NULL);
  out(UART_MCR, 0xff);
  CHECK_EQ(in(UART_MCR), UART_MCR_MASK);
  /* A 4-byte OUT at the base is THR, IER, FCR, LCR in order. */
  fresh();
  uart_ops.write(&uart, 0, 4, 0x03c1000aull);
  CHECK_EQ(nlines, 1);
  CHECK_EQ(in(UART_IER), 0);
  CHECK(uart.fifo_enabled);
  CHECK_EQ(in(UART_LCR), 0x03);
  /* A no-sink UART still counts lines and never dereferences NULL. */
  uart_init(&uart, NULL, NULL, NULL, NULL, NULL);
  out(UART_MCR, UART_MCR_OUT2);
  out(UART_IER, UART_IER_THRI);
  puts_uart("x\n");
  CHECK_EQ(uart.lines, 1);
}

void test_uart_all(void)
{
  RUN(test_linux_autoconfig);
  RUN(test_thre_reassert);
  RUN(test_irq_pin);
  RUN(test_console_lines);
  RUN(test_hostile);
}
