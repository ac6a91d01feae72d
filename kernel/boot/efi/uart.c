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
/* Bound on the busy-wait per byte, so a missing UART cannot hang the boot (the byte is dropped). */
#define UART_SPIN_MAX 100000

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void uart_putc(char c) {
  for (int spin = 0; spin < UART_SPIN_MAX; spin++) {
    if (inb(COM1 + UART_LSR) & UART_LSR_THRE) {
      outb(COM1 + UART_THR, (uint8_t)c);
      return;
    }
  }
}

/* The firmware has already programmed COM1 (115200 8N1 on OVMF); D0 keeps its settings. */
void log_sink_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n')
      uart_putc('\r');
    uart_putc(s[i]);
  }
}
