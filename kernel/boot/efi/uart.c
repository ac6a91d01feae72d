/*
 * COM1 (16550 at I/O port 0x3F8) as the log sink. OVMF also mirrors its text console to COM1,
 * with ANSI escapes; writing the UART directly keeps D0's event lines clean and independent of
 * the firmware console (and keeps working after ExitBootServices, when the hypervisor runs).
 */
#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

#define COM1 0x3F8
#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
/*
 * Bound on the busy-wait per byte. An absent UART reads LSR as 0xFF (THRE set), so it never
 * waits; a present UART that stops draining is declared dead after one long wait and dropped from
 * then on, so it can delay the boot once but never hang it. The bound is generous because under
 * emulation each LSR read is a VM exit and a loaded host drains slowly: a short bound drops bytes.
 */
#define UART_SPIN_MAX 20000000
static int uart_dead;

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void uart_putc(char c) {
  if (uart_dead)
    return;
  for (uint32_t spin = 0; spin < UART_SPIN_MAX; spin++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_THRE) {
      outb(COM1 + UART_THR, (uint8_t)c);
      return;
    }
  }
  uart_dead = 1;
}

/* The firmware has already programmed COM1 (115200 8N1 on OVMF); D0 keeps its settings. */
void log_sink_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      uart_putc('\r');
    uart_putc(s[i]);
  }
}
