/* The build's network: bridge, router, uplink glue (contract in net.h). */
#include "net.h"

#include "arch/arch.h"
#include "d0/lib.h"
#include "d0/sha2.h"
#include "launch_fail.h"
#include "log/log.h"
#include "net/router.h"
#include "uplink.h"

#define ROUTER_TICK_NS 1000000000ull /* connection-tracking expiry: once a second */

static struct bridge bridge; /* eth0 of every VM, static MACs and IPv4s from the manifest */
static struct router router;
static struct router_cfg cfg; /* ~10 KiB: not on a UEFI stack */
static bool routing;          /* the router's table is set (net_prepare succeeded) */
static uint64_t ticked_ns;

extern uint64_t __security_cookie; /* stack_guard.c: the best random D0 has at boot */

void net_begin(void)
{
  bridge_init(&bridge);
  routing = false;
}

struct bridge *net_bridge(void) { return &bridge; }

static void rate_from_manifest(struct rate_cfg *out, const struct d0_rate_limit *l)
{
  out->bytes_per_s = l->bytes_per_s;
  out->packets_per_s = l->packets_per_s;
  out->burst_bytes = l->burst_bytes;
}

struct bridge_port *net_add_vm(struct virtio_net *net, const struct d0_container *c)
{
  struct rate_cfg tx, rx;
  struct bridge_port_cfg pc = {.tx_limit = NULL, .rx_limit = NULL};
  memcpy(pc.mac, c->mac, 6);
  memcpy(pc.ip4, c->ip4.addr, 4);
  if (c->has_tx_limit) {
    rate_from_manifest(&tx, &c->tx_limit);
    pc.tx_limit = &tx;
  }
  if (c->has_rx_limit) {
    rate_from_manifest(&rx, &c->rx_limit);
    pc.rx_limit = &rx;
  }
  return bridge_add_port(&bridge, net, &pc); /* the bucket copies the limits */
}

/* What a VM sent to D0 (its gateway) or broadcast: the router's. */
static void from_bridge(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  if (routing)
    router_from_bridge(&router, port, frame, len, arch_time_ns());
}

static void to_port(void *ctx, uint32_t port, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  (void)bridge_deliver(&bridge, port, frame, len); /* rx limit and counters: the port's */
}

static void to_uplink(void *ctx, const uint8_t *frame, uint32_t len)
{
  (void)ctx;
  uplink_send(frame, len);
}

static void container_entry(struct router_container *rc, const struct bridge_port *port,
                            const struct d0_container *c, struct net_counters *counters)
{
  memset(rc, 0, sizeof *rc);
  rc->port = port->index;
  memcpy(rc->mac, c->mac, 6);
  memcpy(rc->ip, c->ip4.addr, 4);
  rc->n_publish = c->n_publish;
  for (uint32_t p = 0; p < c->n_publish && p < ROUTER_MAX_PUBLISH; p++)
    rc->publish[p] = (struct router_publish){c->publish[p].proto, c->publish[p].uplink_port,
                                             c->publish[p].container_port};
  rc->egress.restricted = c->egress_restricted;
  rc->egress.n_rules = c->n_egress;
  for (uint32_t e = 0; e < c->n_egress && e < POLICY_MAX_RULES; e++) {
    const struct d0_egress_rule *r = &c->egress[e];
    struct policy_rule *pr = &rc->egress.rules[e];
    memcpy(pr->net, r->dest.addr, 4);
    pr->prefix = r->dest.prefix;
    pr->proto = r->proto;
    pr->port_lo = r->port_lo;
    pr->port_hi = r->port_hi;
  }
  rc->counters = counters;
}

/* The connection table's hash key: not guessable from outside, and not the stack guard itself
 * (SHA-256 of it, so whatever the ports reveal says nothing about the guard). */
static uint64_t table_seed(void)
{
  static const char label[] = "d0 router seed";
  uint8_t in[sizeof label + 8], out[SHA256_DIGEST_LEN];
  memcpy(in, label, sizeof label);
  memcpy(in + sizeof label, &__security_cookie, 8);
  sha256(in, sizeof in, out);
  uint64_t seed;
  memcpy(&seed, out, 8);
  return seed;
}

bool net_prepare(const struct d0_manifest *m, struct bridge_port *const ports[],
                 const struct d0_container *const containers[], uint32_t n)
{
  static const uint8_t d0_mac[6] = D0_BRIDGE_MAC;
  memset(&cfg, 0, sizeof cfg);
  memcpy(cfg.bridge_mac, d0_mac, 6);
  memcpy(cfg.bridge_ip, m->bridge_ip4.addr, 4);
  cfg.bridge_prefix = m->bridge_ip4.prefix;
  cfg.egress_nat = m->egress_nat;
  cfg.uplink = false; /* until net_uplink_up */
  if (m->has_uplink)
    memcpy(cfg.uplink_ip, m->uplink_ip4.addr, 4);
  cfg.n_containers = n;
  for (uint32_t i = 0; i < n && i < ROUTER_MAX_CONTAINERS; i++)
    container_entry(&cfg.containers[i], ports[i], containers[i], &ports[i]->counters);
  cfg.uplink_counters = uplink_counters();
  cfg.seed = table_seed();
  cfg.to_port = to_port;
  cfg.to_uplink = to_uplink;
  cfg.ctx = NULL;
  const char *why = router_init(&router, &cfg);
  if (why != NULL) {
    launch_fail("router_config", why, EFI_LOAD_ERROR);
    return false;
  }
  if (!bridge_set_host(&bridge, d0_mac, from_bridge, NULL)) {
    launch_fail("router_config", "bridge_refused_d0_mac", EFI_LOAD_ERROR);
    return false;
  }
  routing = true;
  return true;
}

void net_uplink_up(const uint8_t uplink_mac[6], const uint8_t gw_mac[6])
{
  if (routing && !router_uplink_up(&router, uplink_mac, gw_mac)) {
    log_begin("router_uplink_refused"); /* a multicast NIC or gateway MAC: nothing routed */
    log_end();
  }
}

void net_from_uplink(const uint8_t *frame, uint32_t len, uint64_t now_ns)
{
  if (routing)
    router_from_uplink(&router, frame, len, now_ns);
}

void net_tick(uint64_t now_ns)
{
  bridge_poll(&bridge, now_ns); /* resumes VMs throttled by their tx limit */
  if (routing && now_ns - ticked_ns >= ROUTER_TICK_NS) {
    ticked_ns = now_ns;
    router_tick(&router, now_ns);
  }
}

void net_report(void)
{
  if (!routing)
    return;
  const struct router_stats *s = &router.stats;
  log_begin("router_stats");
  log_u64("arp_replies", s->arp_replies);
  log_u64("echo_replies", s->echo_replies);
  log_u64("snat_flows", s->snat_flows);
  log_u64("dnat_flows", s->dnat_flows);
  log_u64("to_uplink", s->to_uplink);
  log_u64("to_containers", s->to_containers);
  log_u64("icmp_errors", s->icmp_errors);
  log_u64("nat_in_use", router_nat_in_use(&router));
  log_end();
}
