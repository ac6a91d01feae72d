#include "dev/platform/sysports.h"

#include "arch/arch.h"
#include "d0/lib.h"

static void reset_request(struct sysports *s, const char *how)
{
  s->resets++;
  hv_event(s->log.env != NULL ? s->log.env->vm_name : "", "sysports", how, 0, s->resets, 0);
  if (s->reset != NULL)
    s->reset(s->reset_ctx);
}

static uint8_t kbc_rd(void *ctx, uint64_t off)
{
  struct sysports *s = ctx;
  switch (off) {
  case 0: return SYS_KBC_DATA;
  case 1: return pit_port61_read(s->pit, arch_time_ns());
  case 4: return SYS_KBC_STATUS;
  default:
    dev_log_event(&s->log, "read-empty-port", SYS_KBC_PORT + off, 0);
    return 0xff;
  }
}

static void kbc_wr(void *ctx, uint64_t off, uint8_t v)
{
  struct sysports *s = ctx;
  if (off == 1)
    pit_port61_write(s->pit, v, arch_time_ns());
  else if (off == 4 && v == SYS_KBC_CMD_RESET)
    reset_request(s, "reset-kbc");
  else
    dev_log_event(&s->log, off == 4 ? "kbc-command-ignored" : "write-ignored", SYS_KBC_PORT + off,
                  v);
}

static uint64_t kbc_read(void *ctx, uint64_t off, uint8_t size)
{
  return isa_split_read(ctx, off, size, kbc_rd);
}
static void kbc_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  isa_split_write(ctx, off, size, v, kbc_wr);
}

/* Single-port devices: a wider access would leave the 1-port range, so the bus never sends one. */
static uint64_t post_read(void *ctx, uint64_t off, uint8_t size)
{
  (void)off, (void)size;
  return ((struct sysports *)ctx)->post;
}
static void post_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  (void)off, (void)size;
  ((struct sysports *)ctx)->post = (uint8_t)v;
}

static uint64_t dma_read(void *ctx, uint64_t off, uint8_t size)
{
  (void)off, (void)size;
  return ((struct sysports *)ctx)->dma_page;
}
static void dma_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  (void)off, (void)size;
  ((struct sysports *)ctx)->dma_page = (uint8_t)v;
}

static uint64_t port_a_read(void *ctx, uint64_t off, uint8_t size)
{
  (void)off, (void)size;
  return (((struct sysports *)ctx)->port_a & SYS_PORT_A_RESET) | SYS_PORT_A_A20;
}
static void port_a_write(void *ctx, uint64_t off, uint8_t size, uint64_t v)
{
  (void)off, (void)size;
  struct sysports *s = ctx;
  bool rise = (v & SYS_PORT_A_RESET) && !(s->port_a & SYS_PORT_A_RESET);
  if (!(v & SYS_PORT_A_A20))
    dev_log_event(&s->log, "a20-disable-ignored", SYS_PORT_A, v);
  s->port_a = (uint8_t)v;
  if (rise)
    reset_request(s, "reset-port92");
}

const struct bus_ops sys_kbc_ops = {kbc_read, kbc_write};
const struct bus_ops sys_post_ops = {post_read, post_write};
const struct bus_ops sys_dma_page_ops = {dma_read, dma_write};
const struct bus_ops sys_port_a_ops = {port_a_read, port_a_write};

void sysports_init(struct sysports *s, const struct dev_env *env, struct pit *pit,
                   void (*reset)(void *ctx), void *reset_ctx)
{
  memset(s, 0, sizeof(*s));
  s->pit = pit;
  s->port_a = SYS_PORT_A_A20;
  s->reset = reset;
  s->reset_ctx = reset_ctx;
  s->log = (struct dev_log){env, "sysports", 0};
}
