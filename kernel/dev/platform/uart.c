#include "dev/platform/uart.h"

#include "d0/lib.h"

static void update_irq(struct uart *u)
{
  bool pending = ((u->ier & UART_IER_RDI) && u->rx_count > 0) ||
                 ((u->ier & UART_IER_THRI) && u->thre_pending);
  bool level = pending && (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP);
  if (level != u->irq_level) {
    u->irq_level = level;
    if (u->irq != NULL)
      u->irq(u->irq_ctx, level);
  }
}

static void emit_line(struct uart *u)
{
  if (u->sink != NULL)
    u->sink(u->sink_ctx, u->line, u->line_len);
  u->lines++;
  u->line_len = 0;
}

void uart_flush(struct uart *u)
{
  if (u->line_len > 0)
    emit_line(u);
}

static void line_put(struct uart *u, const char *s, size_t n)
{
  if (u->line_len + n > UART_LINE_MAX)
    emit_line(u);
  for (size_t i = 0; i < n; i++)
    u->line[u->line_len++] = s[i];
}

static void output(struct uart *u, uint8_t b)
{
  u->bytes++;
  if (b == '\n') {
    emit_line(u);
  } else if (b == '\r') {
    /* Linux writes CRLF; the sink's lines have no terminator. */
  } else {
    char c = (char)b;
    line_put(u, &c, 1); /* any byte: the sink (the boot log) escapes what needs it */
  }
}

static void rx_push(struct uart *u, uint8_t b)
{
  if (u->rx_count == UART_RX_FIFO) {
    dev_log_event(&u->log, "rx-overrun", b, 0);
    return;
  }
  u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = b;
  u->rx_count++;
}

static uint8_t modem_status(const struct uart *u)
{
  if (!(u->mcr & UART_MCR_LOOP))
    return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
  uint8_t v = 0;
  if (u->mcr & UART_MCR_DTR) v |= UART_MSR_DSR;
  if (u->mcr & UART_MCR_RTS) v |= UART_MSR_CTS;
  if (u->mcr & UART_MCR_OUT1) v |= UART_MSR_RI;
  if (u->mcr & UART_MCR_OUT2) v |= UART_MSR_DCD;
  return v;
}

static uint8_t iir(struct uart *u)
{
  uint8_t fifo = u->fifo_enabled ? UART_IIR_FIFO : 0;
  if ((u->ier & UART_IER_RDI) && u->rx_count > 0)
    return fifo | UART_IIR_RDI;
  if ((u->ier & UART_IER_THRI) && u->thre_pending) {
    u->thre_pending = false; /* reading IIR while THRE is the source clears it */
    update_irq(u);
    return fifo | UART_IIR_THRI;
  }
  return fifo | UART_IIR_NO_INT;
}

static uint8_t uart_rd(void *ctx, uint64_t off)
{
  struct uart *u = ctx;
  bool dlab = u->lcr & UART_LCR_DLAB;
  switch (off) {
  case UART_RBR:
    if (dlab)
      return u->dll;
    if (u->rx_count == 0)
      return 0;
    {
      uint8_t b = u->rx[u->rx_head];
      u->rx_head = (uint8_t)((u->rx_head + 1u) % UART_RX_FIFO);
      u->rx_count--;
      update_irq(u);
      return b;
    }
  case UART_IER: return dlab ? u->dlm : u->ier;
  case UART_IIR: return iir(u);
  case UART_LCR: return u->lcr;
  case UART_MCR: return u->mcr;
  case UART_LSR:
    return (uint8_t)(UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count > 0 ? UART_LSR_DR : 0));
  case UART_MSR: return modem_status(u);
  default: return u->scr;
  }
}

static void uart_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct uart *u = ctx;
  bool dlab = u->lcr & UART_LCR_DLAB;
  switch (off) {
  case UART_THR:
    if (dlab) {
      u->dll = v;
      return;
    }
    if (u->mcr & UART_MCR_LOOP)
      rx_push(u, v);
    else
      output(u, v);
    u->thre_pending = true; /* the byte left at once: THR is empty again */
    break;
  case UART_IER:
    if (dlab) {
      u->dlm = v;
      return;
    }
    /* Enabling ETBEI with THR empty raises THRE at once (Linux's startup test checks it). */
    if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
      u->thre_pending = true;
    if (v & ~UART_IER_MASK)
      dev_log_event(&u->log, "ier-reserved-bits", v, 0);
    u->ier = v & UART_IER_MASK;
    break;
  case UART_FCR:
    u->fifo_enabled = v & UART_FCR_ENABLE;
    if ((v & UART_FCR_CLEAR_RX) || !u->fifo_enabled)
      u->rx_count = 0;
    break;
  case UART_LCR: u->lcr = v; return;
  case UART_MCR: u->mcr = v & UART_MCR_MASK; break;
  case UART_LSR: case UART_MSR:
    dev_log_event(&u->log, "write-read-only-register", off, v);
    return;
  default: u->scr = v; return;
  }
  update_irq(u);
}

static uint64_t uart_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, uart_rd);
}

static void uart_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, uart_wr);
}

const struct bus_ops uart_ops = {uart_read, uart_write};

void uart_init(struct uart *u, const struct dev_env *env, uart_sink_fn sink, void *sink_ctx,
               uart_irq_fn irq, void *irq_ctx)
{
  memset(u, 0, sizeof(*u));
  u->sink = sink;
  u->sink_ctx = sink_ctx;
  u->irq = irq;
  u->irq_ctx = irq_ctx;
  u->log = (struct dev_log){env, "uart", 0};
}
