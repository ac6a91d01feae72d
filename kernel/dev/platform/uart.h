/*
 * A 16550A UART (National Semiconductor PC16550D data sheet, "Registers"), COM1 at 0x3f8 with
 * IRQ 4: the guest's console.
 *
 *   off  DLAB=0 read / write          DLAB=1
 *   0    RBR / THR                    DLL
 *   1    IER                          DLM
 *   2    IIR / FCR
 *   3    LCR (bit 7 = DLAB)
 *   4    MCR (bit 4 = loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD, THR->RBR)
 *   5    LSR (THRE|TEMT always: transmission is instantaneous; DR when RBR holds a byte)
 *   6    MSR (outside loopback: DCD|DSR|CTS, a connected line)
 *   7    SCR
 *
 * Output: each transmitted byte goes to a line buffer; a complete line (ended by LF; CR is
 * dropped) is handed to the sink without its terminator. Lines are bounded: at UART_LINE_MAX
 * bytes the line is handed over and continues in the next call. Every other byte is handed over
 * as the guest wrote it (control bytes, NUL, bytes >= 0x80 included): the sink, the boot log,
 * quotes and escapes them (kernel/log/logfmt.h). The caller adds the VM's name.
 *
 * Interrupts: THRE (when IER.ETBEI; set by an empty THR, cleared by reading IIR when it is the
 * reported source or by writing THR), received data (IER.ERBFI, loopback bytes only: D0 gives
 * VMs no console input). The IRQ pin is gated by MCR.OUT2 as on every PC (and is inactive in
 * loopback, where OUT2 is looped back instead). The FIFO is accepted (IIR bits 7..6 = 11 when
 * FCR enables it, so Linux detects a 16550A); received bytes queue up to 16.
 */
#ifndef DEV_PLATFORM_UART_H
#define DEV_PLATFORM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/platform/dev_log.h"
#include "hv/bus.h"

#define UART_COM1_PORT 0x3f8
#define UART_PORTS 8
#define UART_COM1_IRQ 4
#define UART_LINE_MAX 256
#define UART_RX_FIFO 16

#define UART_RBR 0
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01u
#define UART_IER_THRI 0x02u
#define UART_IER_RLSI 0x04u
#define UART_IER_MSI 0x08u
#define UART_IER_MASK 0x0fu
#define UART_IIR_NO_INT 0x01u
#define UART_IIR_THRI 0x02u
#define UART_IIR_RDI 0x04u
#define UART_IIR_FIFO 0xc0u
#define UART_FCR_ENABLE 0x01u
#define UART_FCR_CLEAR_RX 0x02u
#define UART_FCR_CLEAR_TX 0x04u
#define UART_LCR_DLAB 0x80u
#define UART_MCR_DTR 0x01u
#define UART_MCR_RTS 0x02u
#define UART_MCR_OUT1 0x04u
#define UART_MCR_OUT2 0x08u
#define UART_MCR_LOOP 0x10u
#define UART_MCR_MASK 0x1fu
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u
#define UART_MSR_CTS 0x10u
#define UART_MSR_DSR 0x20u
#define UART_MSR_RI 0x40u
#define UART_MSR_DCD 0x80u

/* Receives one complete (or split) line, len <= UART_LINE_MAX, the guest's bytes without CR or
 * the LF terminator. */
typedef void (*uart_sink_fn)(void *ctx, const char *line, size_t len);
/* The UART's interrupt pin changed level. */
typedef void (*uart_irq_fn)(void *ctx, bool level);

struct uart {
  uint8_t ier, lcr, mcr, scr, dll, dlm;
  bool fifo_enabled;
  bool thre_pending;
  uint8_t rx[UART_RX_FIFO];
  uint8_t rx_head, rx_count;
  bool irq_level;
  char line[UART_LINE_MAX];
  size_t line_len;
  uint64_t lines, bytes;
  uart_sink_fn sink;
  void *sink_ctx;
  uart_irq_fn irq;
  void *irq_ctx;
  struct dev_log log;
};

void uart_init(struct uart *u, const struct dev_env *env, uart_sink_fn sink, void *sink_ctx,
               uart_irq_fn irq, void *irq_ctx);

/* Hands a partial line to the sink (when the VM stops). */
void uart_flush(struct uart *u);

extern const struct bus_ops uart_ops;

#endif /* DEV_PLATFORM_UART_H */
