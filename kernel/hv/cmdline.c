#include "hv/cmdline.h"

#include "dev/platform/platform.h"
#include "hv/err.h"

struct out {
  char *buf;
  size_t cap, len;
  bool overflow;
};

static void put_c(struct out *o, char c)
{
  if (o->len + 1 >= o->cap) {
    o->overflow = true;
    return;
  }
  o->buf[o->len++] = c;
}

static void put_s(struct out *o, const char *s)
{
  while (*s != '\0')
    put_c(o, *s++);
}

static void put_dec(struct out *o, uint64_t v)
{
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    put_c(o, tmp[--n]);
}

static void put_hex(struct out *o, uint64_t v)
{
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v != 0);
  put_s(o, "0x");
  while (n > 0)
    put_c(o, tmp[--n]);
}

static void put_ip(struct out *o, const struct cmdline_ip4 *ip, bool with_prefix)
{
  for (int i = 0; i < 4; i++) {
    if (i > 0)
      put_c(o, '.');
    put_dec(o, ip->addr[i]);
  }
  if (with_prefix) {
    put_c(o, '/');
    put_dec(o, ip->prefix);
  }
}

static bool name_ok(const char *s)
{
  size_t n = 0;
  if (s == NULL)
    return false;
  for (; s[n] != '\0'; n++) {
    char c = s[n];
    if (n == 32 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return n > 0;
}

static bool cfg_ok(const struct cmdline_cfg *cfg)
{
  if (!name_ok(cfg->name) || cfg->ip.prefix > 32)
    return false;
  if ((cfg->nroutes != 0 && cfg->routes == NULL) || (cfg->ndevs != 0 && cfg->devs == NULL))
    return false;
  for (uint32_t i = 0; i < cfg->nroutes; i++)
    if (cfg->routes[i].dest.prefix > 32)
      return false;
  return true;
}

int cmdline_build(char *buf, size_t cap, const struct cmdline_cfg *cfg, size_t *len)
{
  if (buf == NULL || cap == 0 || !cfg_ok(cfg))
    return HV_E_INVAL;
  struct out o = {buf, cap, 0, false};
  put_s(&o, "console=ttyS0 reboot=t panic=-1 quiet root=/dev/vda ");
  put_s(&o, cfg->root_ro ? "ro" : "rw");
  put_s(&o, " rootfstype=ext4 init=/.d0/init " PLATFORM_CMDLINE);
  if (cfg->tsc_khz != 0) {
    put_s(&o, " tsc_early_khz=");
    put_dec(&o, cfg->tsc_khz);
  }
  for (uint32_t i = 0; i < cfg->ndevs; i++) {
    put_s(&o, " virtio_mmio.device=4K@");
    put_hex(&o, cfg->devs[i].base);
    put_c(&o, ':');
    put_dec(&o, cfg->devs[i].irq);
  }
  put_s(&o, " d0.name=");
  put_s(&o, cfg->name);
  put_s(&o, " d0.ip=");
  put_ip(&o, &cfg->ip, true);
  if (cfg->has_gw) {
    put_s(&o, " d0.gw=");
    put_ip(&o, &cfg->gw, false);
  }
  for (uint32_t i = 0; i < cfg->nroutes; i++) {
    put_s(&o, " d0.route=");
    put_ip(&o, &cfg->routes[i].dest, true);
    put_c(&o, ',');
    put_ip(&o, &cfg->routes[i].via, false);
  }
  buf[o.len] = '\0';
  if (o.overflow)
    return HV_E_CMDLINE_LONG;
  if (len != NULL)
    *len = o.len;
  return HV_OK;
}
